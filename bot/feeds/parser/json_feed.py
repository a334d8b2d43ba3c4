"""JSON Feed 1.0 / 1.1, read directly: feedparser does not read version 1.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.articles.markup import absolute_url, html_to_text, scrub
from bot.feeds.parser.model import Entry, ImageCandidate, ParsedFeed, entry_key
from bot.feeds.parser.photos import content_images, maybe_image, rank_images
from bot.feeds.parser.plain import language_tag, plain_title


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    """Whether the body is a JSON document: said so by its type, or opening with a brace."""
    if content_type and "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf\r\n\t ")[:1] == b"{"


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0 / 1.1 (https://jsonfeed.org), read directly."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a feed: invalid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ValueError("not a feed: JSON without an items list")
    language = language_tag(_str(document.get("language")))
    link = absolute_url(_str(document.get("home_page_url")) or "", url)
    entries = [
        _json_entry(item, language, url) for item in document["items"] if isinstance(item, dict)
    ]
    return ParsedFeed(
        plain_title(None, _str(document.get("title"))) or None, link, language, entries, None
    )


def _json_entry(item: dict[str, Any], feed_language: str | None, feed_url: str) -> Entry:
    link = absolute_url(_str(item.get("url")) or _str(item.get("external_url")) or "", feed_url)
    content_html = _str(item.get("content_html"))
    content_text = _str(item.get("content_text"))
    summary_text = _str(item.get("summary"))
    text = html_to_text(content_html) if content_html else (content_text or "").strip()
    summary = (summary_text or "").strip() or text
    title = plain_title(None, _str(item.get("title")))
    base = link or feed_url
    found: list[ImageCandidate] = []
    for key, source in (("image", "json:image"), ("banner_image", "json:banner_image")):
        found += maybe_image(_str(item.get(key)) or "", base, source) if item.get(key) else []
    for attachment in item.get("attachments") or []:
        if isinstance(attachment, dict) and str(attachment.get("mime_type", "")).startswith(
            "image/"
        ):
            found += maybe_image(_str(attachment.get("url")) or "", base, "attachment")
    if content_html:
        found += content_images([content_html], base)
    published = _iso_time(item.get("date_published"))
    updated = _iso_time(item.get("date_modified"))
    date_text = _str(item.get("date_published")) or _str(item.get("date_modified"))
    return Entry(
        key=entry_key(_str(item.get("id")), link, title, date_text),
        url=link,
        title=title,
        summary=summary,
        content_html=content_html,
        images=rank_images(found),
        author=_json_author(item),
        categories=tuple(
            dict.fromkeys(tag for t in item.get("tags") or [] if (tag := scrub(str(t)).strip()))
        ),
        published_at=published or updated,
        updated_at=updated,
        language=language_tag(_str(item.get("language"))) or feed_language,
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
