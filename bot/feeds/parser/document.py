"""Feed bytes to normalised entries (RSS 0.9x/1.0/2.0, Atom, JSON Feed). Pure: no I/O.

The caller owns HTTP and hands over the body and its content type (as
feedparser's ``parse`` wants). feedparser does the reading; a second pass over
the raw XML recovers what its sanitiser and its mapping drop (lazy-loaded
``<img>`` attributes, untyped ``media:content`` sizes, bare ``<image>`` and
text-only ``<enclosure>`` elements). JSON Feed is parsed directly, since
feedparser does not read version 1.1. An ill-formed feed that still carries
entries is reported in ``bozo`` and used.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import charset_normalizer
import feedparser
import lxml.etree

from bot.articles.markup import (
    absolute_url,
    html_images,
    html_to_text,
    parse_fragment,
    scrub,
)


@dataclass(frozen=True)
class ImageCandidate:
    """A photo the entry names, and where it was found (for `newsbot preview`)."""

    url: str
    source: str  # media:content, media:thumbnail, enclosure, content img, og:image ...
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Entry:
    """One feed entry, normalised."""

    key: str
    url: str | None
    title: str
    summary: str  # plain text from the feed (description/summary), untruncated
    content_html: str | None = None
    images: tuple[ImageCandidate, ...] = ()  # best first, junk already left out
    author: str | None = None
    categories: tuple[str, ...] = ()
    published_at: datetime | None = None  # aware UTC
    updated_at: datetime | None = None
    language: str | None = None
    text: str = ""  # plain text of the fullest body the feed gives (content, else summary)


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    link: str | None
    language: str | None
    entries: list[Entry] = field(default_factory=list)
    bozo: str | None = None  # why feedparser found the feed ill-formed, if it did


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document fetched from ``url``; ValueError if it is not a feed."""
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url)
    body, content_type = _readable(body, content_type)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed: Any = feedparser.parse(io.BytesIO(body), response_headers=headers)
    bozo = _bozo(parsed, content_type)
    if not parsed.entries and (not parsed.get("version") or bozo):
        raise ValueError(f"not a feed: {bozo or 'no feed elements found'}")
    meta = parsed.feed
    language = _language(meta.get("language"))
    link = meta.get("link") or None
    raw_items = _match_raw_items(_raw_items(body), parsed.entries)
    entries = [
        _entry(item, raw, language, url)
        for item, raw in zip(parsed.entries, raw_items, strict=True)
    ]
    return ParsedFeed(
        _plain_title(meta.get("title_detail"), meta.get("title")), link, language, entries, bozo
    )


def entry_key(guid: str | None, link: str | None, title: str, date: str | None) -> str:
    """The entry's identity: guid, else link, else a hash of title and date."""
    if guid and guid.strip():
        return guid.strip()[:512]
    if link and link.strip():
        return link.strip()[:512]
    digest = hashlib.sha256(f"{title}\x00{date or ''}".encode()).hexdigest()
    return f"sha256:{digest}"


# --- encodings ---------------------------------------------------------------

_XML_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", re.I)
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9._-]+)", re.I)


def _readable(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """``body`` as feedparser can decode it: undeclared non-UTF-8 bytes are transcoded.

    A feed that declares its encoding (in the XML prolog or the HTTP header) is
    left to feedparser. One that declares nothing and is not UTF-8 would be read
    as windows-1252 and its Cyrillic ruined, so it is detected and re-encoded.
    """
    stripped = body.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if _XML_DECLARED.match(stripped) or (content_type and _CHARSET.search(content_type)):
        return stripped, content_type
    try:
        stripped.decode("utf-8")
        return stripped, content_type
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(stripped).best()
    if best is None:
        return stripped, content_type
    return str(best).encode("utf-8"), "application/xml; charset=utf-8"


def _bozo(parsed: Any, content_type: str | None) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if content_type is None and isinstance(exc, feedparser.NonXMLContentType):
        return None  # a file has no content type; that is not the feed's fault
    return f"{type(exc).__name__}: {exc}" if exc else "ill-formed feed"


# --- one entry ---------------------------------------------------------------


def _entry(raw: Any, extra: _RawItem | None, feed_language: str | None, feed_url: str) -> Entry:
    title = _plain_title(raw.get("title_detail"), raw.get("title"))
    link = _entry_link(raw, feed_url)
    base = link or feed_url
    content_html = _content_html(raw)
    summary_html = raw.get("summary", "") or ""
    summary = _plain_body(raw.get("summary_detail"), summary_html)
    body_html = content_html or summary_html
    unsanitised = extra.html if extra else []
    images = _rank_images(
        _feed_images(raw, base, extra) + _content_images(unsanitised or [body_html], base)
    )
    # dict.get: FeedParserDict maps a missing "updated" to "published" with a warning.
    updated = _time(dict.get(raw, "updated_parsed"))
    published = _time(dict.get(raw, "published_parsed")) or updated
    date_text = dict.get(raw, "published") or dict.get(raw, "updated")
    # The guid as the publisher wrote it: feedparser resolves relative ones against the feed.
    guid = (extra.guid if extra else None) or raw.get("id")
    return Entry(
        key=entry_key(guid, link, title, date_text),
        url=link,
        title=title,
        summary=summary,
        content_html=content_html or (summary_html or None),
        images=images,
        author=_author(raw),
        categories=_categories(raw.get("tags", [])),
        published_at=published,
        updated_at=updated,
        language=_language(_detail_language(raw)) or feed_language,
        text=html_to_text(content_html) if content_html else summary,
    )


def _entry_link(raw: Any, feed_url: str) -> str | None:
    """The article's address: the alternate link, resolved against the feed."""
    candidates = [raw.get("link")]
    candidates += [
        link.get("href") for link in raw.get("links", []) if link.get("rel") == "alternate"
    ]
    for candidate in candidates:
        if candidate and candidate.strip():
            resolved = absolute_url(candidate, feed_url)
            if resolved:
                return resolved
    guid = raw.get("id") or ""
    if raw.get("guidislink") and guid:
        return absolute_url(guid, feed_url)
    return None


def _content_html(raw: Any) -> str | None:
    """The fullest HTML body the entry carries (content:encoded, Atom content)."""
    contents = [c for c in raw.get("content", []) if (c.get("value") or "").strip()]
    if not contents:
        return None
    return str(max(contents, key=lambda c: len(c.get("value", ""))).get("value"))


_ENTITY_LEFT = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_SPACES = re.compile(r"\s+")


def _plain_title(detail: Any, value: str | None) -> str:
    """A title as plain text: tags stripped, entities decoded (a double-escaped one too).

    Titles are read as HTML whatever type feedparser guessed: it marks escaped
    markup as text/plain yet leaves its entities encoded.
    """
    del detail  # see above: the declared type cannot be trusted for titles
    text = value or ""
    text = html_to_text(text).replace("\n", " ") if "<" in text else html.unescape(text)
    if _ENTITY_LEFT.search(text):
        # Publishers often escape titles twice; "&quot;" is never what they meant.
        text = html.unescape(text)
    return _SPACES.sub(" ", scrub(text)).strip()


def _plain_body(detail: Any, value: str) -> str:
    kind = (detail or {}).get("type", "text/html") if detail is not None else "text/html"
    if "html" in kind:
        return html_to_text(value)
    return scrub(value).strip()


def _author(raw: Any) -> str | None:
    detail = raw.get("author_detail") or {}
    name = detail.get("name") or raw.get("author") or ""
    name = _plain_title(None, name)
    return name[:200] or None


def _categories(tags: Iterable[Any]) -> tuple[str, ...]:
    terms = (_plain_title(None, tag.get("term") or tag.get("label") or "") for tag in tags)
    return tuple(dict.fromkeys(term for term in terms if term))


def _detail_language(raw: Any) -> str | None:
    for key in ("title_detail", "summary_detail"):
        detail = raw.get(key)
        if detail and detail.get("language"):
            return str(detail["language"])
    return None


def _language(value: str | None) -> str | None:
    text = (value or "").strip().replace("_", "-").lower()
    return text[:16] or None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


# --- photos ------------------------------------------------------------------

_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp)(?:$|[?#])", re.I)
_IMAGE_HINT = re.compile(r"(?:/image|/img/|/images?/|/photos?/|format=(?:jpe?g|png|webp))", re.I)
_NOT_PHOTO_PATH = re.compile(r"\.(?:svg|ico|bmp|tiff?|mp4|mp3|m4a|webm|pdf|avif)(?:$|[?#])", re.I)
# Trackers, counters, avatars, emoji and buttons that feeds put where photos go.
_JUNK = re.compile(
    r"feeds\.feedburner\.com|/~r/|/~ff/|feedsportal|doubleclick|pixel|beacon|tracking"
    r"|/track(?:er)?/|stats\.wordpress\.com|1x1|spacer|blank\.gif|transparent\.(?:gif|png)"
    r"|gravatar|avatar|userpic|emoji|smil(?:ies|ey)|wp-includes/images"
    r"|(?<![a-z])(?:share|icons?|favicon|sprite|button|badge|logo|rss)(?![a-z])",
    re.I,
)
MIN_SIDE = 100  # px: anything smaller is an icon, an avatar or a pixel
MAX_ASPECT = 4.0  # wider or taller than this is a banner or a spacer, not a news photo

# Tier of each source: the order the issue gives, best first.
_TIERS = {
    "media:content": 0,
    "media:thumbnail": 1,
    "itunes:image": 2,
    "news:image": 2,
    "thumb": 2,
    "image": 2,
    "json:image": 0,
    "json:banner_image": 1,
    "enclosure": 3,
    "attachment": 3,
    "content img": 4,
}


def is_junk_image(url: str, width: int | None = None, height: int | None = None) -> bool:
    """Whether a candidate is a tracker, icon, avatar, emoji or banner rather than a photo."""
    if url.startswith("data:") or _NOT_PHOTO_PATH.search(url) or _JUNK.search(url):
        return True
    if (width is not None and width < MIN_SIDE) or (height is not None and height < MIN_SIDE):
        return True
    if width and height:
        ratio = max(width, height) / max(1, min(width, height))
        if ratio > MAX_ASPECT:
            return True
    return False


def _rank_images(candidates: list[ImageCandidate]) -> tuple[ImageCandidate, ...]:
    """Junk out, one per URL, best tier first and the widest first within a tier."""
    best: dict[str, ImageCandidate] = {}
    for candidate in candidates:
        if is_junk_image(candidate.url, candidate.width, candidate.height):
            continue
        known = best.get(candidate.url)
        if known is None or _rank(candidate) < _rank(known):
            best[candidate.url] = candidate
    order = {url: index for index, url in enumerate(best)}
    ranked = sorted(best.values(), key=lambda c: (_rank(c), order[c.url]))
    return tuple(ranked)


def _rank(candidate: ImageCandidate) -> tuple[int, int]:
    width = candidate.width or (candidate.height or 0)
    # Only media:* sizes compete on width; content images keep document order.
    by_width = -width if candidate.source.startswith("media:") else 0
    return _TIERS.get(candidate.source, 5), by_width


def _feed_images(raw: Any, base: str, extra: _RawItem | None) -> list[ImageCandidate]:
    """Photos the entry's elements name (media:*, itunes:image, enclosures, ...)."""
    found: list[ImageCandidate] = []
    for item in raw.get("media_content", []):
        candidate = _media(item, base, "media:content")
        if candidate:
            found.append(candidate)
    for item in raw.get("media_thumbnail", []):
        candidate = _media(item, base, "media:thumbnail", typed=False)
        if candidate:
            found.append(candidate)
    image = raw.get("image")
    if isinstance(image, dict) and image.get("href"):
        found += _maybe(image["href"], base, "itunes:image")
    for key, source in (("news_image", "news:image"), ("thumb", "thumb")):
        if isinstance(raw.get(key), str):
            found += _maybe(raw[key], base, source)
    for enclosure in raw.get("enclosures", []):
        kind = str(enclosure.get("type") or "")
        href = enclosure.get("href") or ""
        if kind.startswith("image/") or (not kind and _IMAGE_PATH.search(href)):
            found += _maybe(href, base, "enclosure")
    if extra:
        for raw_url, source, width, height in extra.images:
            url = absolute_url(raw_url, base)
            if url:
                found.append(ImageCandidate(url, source, width, height))
    return found


def _media(item: Any, base: str, source: str, *, typed: bool = True) -> ImageCandidate | None:
    """A media:* element as a photo, when its type, medium or URL says it is one."""
    url = absolute_url(item.get("url") or "", base)
    if not url:
        return None
    kind = str(item.get("type") or "").lower()
    medium = str(item.get("medium") or "").lower()
    if typed and (kind or medium):
        if not (kind.startswith("image/") or medium == "image"):
            return None
    elif typed and not (_IMAGE_PATH.search(url) or _IMAGE_HINT.search(url) or item.get("width")):
        return None
    return ImageCandidate(url, source, _int(item.get("width")), _int(item.get("height")))


def _maybe(url: str, base: str, source: str) -> list[ImageCandidate]:
    absolute = absolute_url(html.unescape(url) if "&amp;" in url else url, base)
    return [ImageCandidate(absolute, source)] if absolute else []


def _content_images(bodies: list[str], base: str) -> list[ImageCandidate]:
    images: list[ImageCandidate] = []
    for body in bodies:
        root = parse_fragment(body) if body else None
        if root is not None:
            images += [
                ImageCandidate(img.url, "content img", img.width, img.height)
                for img in html_images(root, base)
            ]
    return images


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- the raw XML pass ----------------------------------------------------------


@dataclass(frozen=True)
class _RawItem:
    """What feedparser drops from one item, read from the XML itself."""

    link: str | None
    guid: str | None
    html: list[str]  # unsanitised description / content bodies
    images: list[tuple[str, str, int | None, int | None]]  # url, source, width, height


_ITEM_TAGS = {"item", "entry"}
_BODY_TAGS = {"description", "encoded", "content", "summary", "fulltext", "full-text"}
_BARE_IMAGE_TAGS = {"image": "image", "thumb": "thumb"}


def _raw_items(body: bytes) -> list[_RawItem]:
    """Every item/entry of the raw XML, in document order; [] if it cannot be read."""
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        root = lxml.etree.fromstring(body.lstrip(b"\xef\xbb\xbf\r\n\t "), parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    return [_raw_item(element) for element in root.iter() if _local(element) in _ITEM_TAGS]


def _raw_item(item: Any) -> _RawItem:
    link = guid = None
    bodies: list[str] = []
    images: list[tuple[str, str, int | None, int | None]] = []
    for child in _children(item):
        name, prefix = _local(child), _prefix(child)
        text = (child.text or "").strip()
        if name == "link" and not link:
            link = (child.get("href") or text) or None
        elif name in ("guid", "id") and not guid:
            guid = text or None
        elif name in _BODY_TAGS:
            bodies.append(_inner_markup(child))
        elif name == "enclosure" and not child.get("url") and _IMAGE_PATH.search(text):
            images.append((text, "enclosure", None, None))
        elif name in _BARE_IMAGE_TAGS and prefix not in ("itunes", "media"):
            url = child.get("href") or child.get("url") or text or _nested_url(child)
            if url:
                source = "news:image" if prefix == "news" else _BARE_IMAGE_TAGS[name]
                images.append((url, source, None, None))
        elif prefix == "media" and name in ("content", "thumbnail"):
            pass  # feedparser reads these, including inside media:group
    return _RawItem(link, guid, [b for b in bodies if b.strip()], images)


def _children(item: Any) -> Iterator[Any]:
    for child in item:
        if isinstance(child.tag, str):
            yield child


def _nested_url(element: Any) -> str | None:
    for child in _children(element):
        if _local(child) in ("url", "link", "href") and (child.text or "").strip():
            return str(child.text).strip()
    return None


def _inner_markup(element: Any) -> str:
    """An element's body as HTML: escaped/CDATA text, or inline XHTML children."""
    if len(element):
        parts = [element.text or ""]
        parts += [lxml.etree.tostring(child, encoding="unicode") for child in element]
        return "".join(parts)
    return str(element.text or "")


def _local(element: Any) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _prefix(element: Any) -> str | None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if ":" in tag and "}" not in tag:
        return tag.split(":", 1)[0].lower()
    return element.prefix.lower() if element.prefix else None


def _match_raw_items(raw: list[_RawItem], entries: list[Any]) -> list[_RawItem | None]:
    """Pair feedparser's entries with raw items: by position, else by guid or link."""
    if len(raw) == len(entries):
        return list(raw)
    by_id: dict[str, _RawItem] = {}
    for item in raw:
        for key in (item.guid, item.link):
            if key:
                by_id.setdefault(key.strip(), item)
    return [
        by_id.get(str(e.get("id") or "")) or by_id.get(str(e.get("link") or "")) for e in entries
    ]


# --- JSON Feed ----------------------------------------------------------------


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf\r\n\t ")[:1] == b"{"


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0 / 1.1 (https://jsonfeed.org), read directly."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a feed: invalid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ValueError("not a feed: JSON without an items list")
    language = _language(_str(document.get("language")))
    link = absolute_url(_str(document.get("home_page_url")) or "", url)
    entries = [
        _json_entry(item, language, url) for item in document["items"] if isinstance(item, dict)
    ]
    return ParsedFeed(
        _plain_title(None, _str(document.get("title"))) or None, link, language, entries, None
    )


def _json_entry(item: dict[str, Any], feed_language: str | None, feed_url: str) -> Entry:
    link = absolute_url(_str(item.get("url")) or _str(item.get("external_url")) or "", feed_url)
    content_html = _str(item.get("content_html"))
    content_text = _str(item.get("content_text"))
    summary_text = _str(item.get("summary"))
    text = html_to_text(content_html) if content_html else (content_text or "").strip()
    summary = (summary_text or "").strip() or text
    title = _plain_title(None, _str(item.get("title")))
    base = link or feed_url
    found: list[ImageCandidate] = []
    for key, source in (("image", "json:image"), ("banner_image", "json:banner_image")):
        found += _maybe(_str(item.get(key)) or "", base, source) if item.get(key) else []
    for attachment in item.get("attachments") or []:
        if isinstance(attachment, dict) and str(attachment.get("mime_type", "")).startswith(
            "image/"
        ):
            found += _maybe(_str(attachment.get("url")) or "", base, "attachment")
    if content_html:
        found += _content_images([content_html], base)
    published = _iso_time(item.get("date_published"))
    updated = _iso_time(item.get("date_modified"))
    date_text = _str(item.get("date_published")) or _str(item.get("date_modified"))
    return Entry(
        key=entry_key(_str(item.get("id")), link, title, date_text),
        url=link,
        title=title,
        summary=summary,
        content_html=content_html,
        images=_rank_images(found),
        author=_json_author(item),
        categories=tuple(
            dict.fromkeys(tag for t in item.get("tags") or [] if (tag := scrub(str(t)).strip()))
        ),
        published_at=published or updated,
        updated_at=updated,
        language=_language(_str(item.get("language"))) or feed_language,
        text=text or summary,
    )


def _json_author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [
        scrub(str(a["name"])).strip() for a in authors if isinstance(a, dict) and a.get("name")
    ]
    return ", ".join(names)[:200] or None


def _iso_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _str(value: Any) -> str | None:
    """A JSON value as clean text (JSON may carry NULs and lone surrogates)."""
    if value is None:
        return None
    return scrub(value if isinstance(value, str) else str(value))
