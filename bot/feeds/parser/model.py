"""What the parser returns: a feed, its entries and their photo candidates, and entry identity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


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


def entry_key(guid: str | None, link: str | None, title: str, date: str | None) -> str:
    """The entry's identity: guid, else link, else a hash of title and date."""
    if guid and guid.strip():
        return guid.strip()[:512]
    if link and link.strip():
        return link.strip()[:512]
    digest = hashlib.sha256(f"{title}\x00{date or ''}".encode()).hexdigest()
    return f"sha256:{digest}"
