"""Feed bytes to normalised entries (RSS 0.9x/1.0/2.0, Atom). Pure: no I/O.

MINIMAL FIRST VERSION: the posts issue completes it (images, encodings, JSON Feed).
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser


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
    images: tuple[ImageCandidate, ...] = ()
    author: str | None = None
    categories: tuple[str, ...] = ()
    published_at: datetime | None = None  # aware UTC
    updated_at: datetime | None = None
    language: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    link: str | None
    language: str | None
    entries: list[Entry] = field(default_factory=list)
    bozo: str | None = None  # why feedparser found the feed ill-formed, if it did


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document fetched from ``url``."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed: Any = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.entries and parsed.get("bozo") and not parsed.feed.get("title"):
        raise ValueError(f"not a feed: {parsed.get('bozo_exception')}")
    meta = parsed.feed
    language = meta.get("language")
    entries = [_entry(raw, language) for raw in parsed.entries]
    bozo = str(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    return ParsedFeed(meta.get("title"), meta.get("link"), language, entries, bozo)


def entry_key(guid: str | None, link: str | None, title: str, date: str | None) -> str:
    """The entry's identity: guid, else link, else a hash of title and date."""
    if guid and guid.strip():
        return guid.strip()[:512]
    if link and link.strip():
        return link.strip()[:512]
    digest = hashlib.sha256(f"{title}\x00{date or ''}".encode()).hexdigest()
    return f"sha256:{digest}"


def _entry(raw: Any, language: str | None) -> Entry:
    title = _plain(raw.get("title", ""))
    link = raw.get("link")
    images = (
        tuple(
            ImageCandidate(item["url"], "media:content")
            for item in raw.get("media_content", [])
            if item.get("url")
        )
        + tuple(
            ImageCandidate(item["url"], "media:thumbnail")
            for item in raw.get("media_thumbnail", [])
            if item.get("url")
        )
        + tuple(
            ImageCandidate(item["href"], "enclosure")
            for item in raw.get("enclosures", [])
            if item.get("href") and str(item.get("type", "")).startswith("image/")
        )
    )
    return Entry(
        key=entry_key(raw.get("id"), link, title, raw.get("published") or raw.get("updated")),
        url=link,
        title=title,
        summary=_plain(raw.get("summary", "")),
        images=images,
        author=raw.get("author"),
        categories=tuple(t["term"] for t in raw.get("tags", []) if t.get("term")),
        published_at=_time(raw.get("published_parsed")),
        updated_at=_time(raw["updated_parsed"]) if "updated_parsed" in raw else None,
        language=language,
    )


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _plain(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)
