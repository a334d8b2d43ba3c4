"""Small RSS documents for tests, written the way news sites write them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

BASE_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# Article links point at a closed loopback port unless a test serves pages:
# page fetches fail at once, and nothing ever leaves the machine.
OFFLINE_SITE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    summary: str = "A sentence about the news. Another sentence with details."
    minutes: int = 0  # published BASE_TIME + minutes
    image: str | None = None
    link: str | None = None
    categories: tuple[str, ...] = ()


def items(prefix: str, count: int, start: int = 0) -> list[Item]:
    return [
        Item(f"{prefix}-{n}", f"{prefix.title()} story {n}", minutes=n)
        for n in range(start, start + count)
    ]


def rss(
    entries: list[Item],
    *,
    title: str = "Test News",
    site: str = OFFLINE_SITE,
    language: str | None = None,
) -> bytes:
    """An RSS 2.0 feed listing ``entries`` newest first, as feeds do."""
    ordered = sorted(entries, key=lambda item: item.minutes, reverse=True)
    body = "".join(_item(item, site) for item in ordered)
    if language:
        body = f"<language>{escape(language)}</language>{body}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{escape(title)}</title><link>{site}</link><description>test</description>"
        f"{body}</channel></rss>"
    ).encode()


def _item(item: Item, site: str) -> str:
    published = format_datetime(BASE_TIME + timedelta(minutes=item.minutes))
    link = item.link or f"{site}/news/{item.guid}"
    media = f'<media:content url="{escape(item.image)}" medium="image"/>' if item.image else ""
    media += "".join(f"<category>{escape(name)}</category>" for name in item.categories)
    return (
        f'<item><guid isPermaLink="false">{escape(item.guid)}</guid>'
        f"<title>{escape(item.title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(item.summary)}</description>"
        f"<pubDate>{published}</pubDate>{media}</item>"
    )
