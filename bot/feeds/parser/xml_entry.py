"""One RSS or Atom entry to an Entry: what feedparser read, plus what the raw XML pass kept."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.articles.markup import absolute_url, html_to_text, scrub
from bot.feeds.parser.model import Entry, ImageCandidate, entry_key
from bot.feeds.parser.photos import (
    content_images,
    looks_like_image,
    maybe_image,
    media_image,
    rank_images,
)
from bot.feeds.parser.plain import language_tag, plain_title
from bot.feeds.parser.raw_xml import RawItem

_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def xml_entry(raw: Any, extra: RawItem | None, feed_language: str | None, feed_url: str) -> Entry:
    """feedparser's entry ``raw`` normalised, ``extra`` filling in what feedparser dropped."""
    title = plain_title(raw.get("title_detail"), raw.get("title"))
    link = _entry_link(raw, feed_url)
    base = link or feed_url
    content_html = _content_html(raw)
    summary_html = raw.get("summary", "") or ""
    summary = _plain_body(raw.get("summary_detail"), summary_html)
    body_html = content_html or summary_html
    unsanitised = extra.html if extra else []
    images = rank_images(
        _feed_images(raw, base, extra) + content_images(unsanitised or [body_html], base)
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
        language=language_tag(_detail_language(raw)) or feed_language,
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


def _plain_body(detail: Any, value: str) -> str:
    kind = (detail or {}).get("type", "text/html") if detail is not None else "text/html"
    if "html" in kind:
        return html_to_text(value)
    return scrub(value).strip()


def _author(raw: Any) -> str | None:
    detail = raw.get("author_detail") or {}
    name = detail.get("name") or raw.get("author") or ""
    name = plain_title(None, name)
    return name[:200] or None


def _categories(tags: Iterable[Any]) -> tuple[str, ...]:
    terms = (plain_title(None, tag.get("term") or tag.get("label") or "") for tag in tags)
    return tuple(dict.fromkeys(term for term in terms if term))


def _detail_language(raw: Any) -> str | None:
    for key in ("title_detail", "summary_detail"):
        detail = raw.get(key)
        if detail and detail.get("language"):
            return str(detail["language"])
    return None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _feed_images(raw: Any, base: str, extra: RawItem | None) -> list[ImageCandidate]:
    """Photos the entry's elements name (media:*, itunes:image, enclosures, ...)."""
    found: list[ImageCandidate] = []
    for item in raw.get("media_content", []):
        candidate = media_image(item, base, "media:content")
        if candidate:
            found.append(candidate)
    for item in raw.get("media_thumbnail", []):
        candidate = media_image(item, base, "media:thumbnail", typed=False)
        if candidate:
            found.append(candidate)
    image = raw.get("image")
    if isinstance(image, dict) and image.get("href"):
        found += maybe_image(image["href"], base, "itunes:image")
    for key, source in (("news_image", "news:image"), ("thumb", "thumb")):
        if isinstance(raw.get(key), str):
            found += maybe_image(raw[key], base, source)
    for enclosure in raw.get("enclosures", []):
        kind = str(enclosure.get("type") or "")
        href = enclosure.get("href") or ""
        # Untyped or generically typed, an image service's URL is a photo to check.
        if kind.startswith("image/") or (kind in _GENERIC_TYPES and looks_like_image(href)):
            found += maybe_image(href, base, "enclosure")
    if extra:
        for raw_url, source, width, height in extra.images:
            url = absolute_url(raw_url, base)
            if url:
                found.append(ImageCandidate(url, source, width, height))
    return found
