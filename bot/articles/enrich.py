"""An entry made ready to post: summary, photo, credit.

MINIMAL FIRST VERSION: the posts issue completes it (pages, photo checks, chrome).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.feeds.parser import Entry
from bot.fetcher import Fetcher


@dataclass(frozen=True)
class Enriched:
    summary: str
    image_url: str | None
    image_source: str | None
    credit: str | None
    title: str
    language: str | None


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


async def enrich_entry(
    entry: Entry, fetcher: Fetcher, *, feed_url: str, sentences: int, fetch_pages: bool = True
) -> Enriched:
    """The summary and photo of ``entry`` (this version uses the feed alone)."""
    del fetcher, feed_url, fetch_pages
    parts = _SENTENCE_END.split(entry.summary)
    image = entry.images[0] if entry.images else None
    return Enriched(
        summary=" ".join(parts[:sentences]).strip(),
        image_url=image.url if image else None,
        image_source=image.source if image else None,
        credit=None,
        title=entry.title,
        language=entry.language,
    )
