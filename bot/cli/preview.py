"""`newsbot preview`: the posts the bot would send for a feed, sent nowhere.

The same path as a real poll (fetch, parse, enrich, render), so what it
prints is what a chat would get: the HTML, the photo chosen and why, and the
length as Telegram counts it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.articles.enrich import enrich_entry, post_content
from bot.feeds.fetcher import Fetcher
from bot.feeds.parser.document import parse_feed
from bot.feeds.parser.model import Entry
from bot.render.post import CAPTION_LIMIT, TEXT_LIMIT, render_post
from config.settings import FeedSettings, Settings


@dataclass(frozen=True)
class PreviewItem:
    """One rendered post, with the reasons behind it."""

    title: str
    html: str
    photo_url: str | None
    photo_reason: str | None  # why this photo, or why none
    length: int  # visible length as Telegram counts it
    as_caption: bool
    buttons: tuple[tuple[str, str], ...] = ()


async def preview_feed(source: str, settings: Settings, *, limit: int = 5) -> list[PreviewItem]:
    """Render the newest ``limit`` entries of ``source`` (a feed URL or a file path)."""
    fetcher = Fetcher(settings.polling, allow_private=settings.allow_private_fetch)
    try:
        body, url, content_type = await _load(source, fetcher)
        try:
            feed = await asyncio.to_thread(parse_feed, body, url, content_type)
        except ValueError as exc:  # the parser's one-line reason, said about this source
            raise ValueError(f"{source}: {exc}") from None
        configured = _configured(settings, source)
        name = (configured.name if configured else None) or feed.title
        topic = configured.topic if configured else None
        language = settings.post.language
        items = []
        for entry in _newest(feed.entries, limit):
            enriched = await enrich_entry(
                entry,
                fetcher,
                feed_url=url,
                sentences=settings.post.summary_sentences,
                fetch_pages=settings.polling.fetch_pages,
            )
            content = post_content(enriched, entry, source_name=name, topic=topic)
            post = render_post(content, language, as_caption=enriched.image_url is not None)
            reason = enriched.image_source if enriched.image_url else enriched.photo_note
            buttons = post.buttons if settings.post.read_more_button else ()
            items.append(
                PreviewItem(
                    enriched.title,
                    post.html,
                    enriched.image_url,
                    reason,
                    post.length,
                    post.as_caption,
                    buttons,
                )
            )
        return items
    finally:
        await fetcher.aclose()


def format_preview(items: list[PreviewItem]) -> str:
    """What `newsbot preview` prints, one block per post."""
    if not items:
        return "the feed has no entries: there is nothing to preview"
    blocks = []
    for number, item in enumerate(items, 1):
        limit = CAPTION_LIMIT if item.as_caption else TEXT_LIMIT
        kind = "photo caption" if item.as_caption else "text message"
        photo = (
            f"{item.photo_url}\n  why: {item.photo_reason}"
            if item.photo_url
            else (f"none ({item.photo_reason})" if item.photo_reason else "none")
        )
        lines = [
            f"=== post {number}/{len(items)}: {item.title}",
            f"photo: {photo}",
            f"length: {item.length}/{limit} ({kind}, UTF-16 units as Telegram counts)",
        ]
        lines += [f"button: [{label}] {url}" for label, url in item.buttons]
        lines += ["--- HTML", item.html, ""]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


async def _load(source: str, fetcher: Fetcher) -> tuple[bytes, str, str | None]:
    """The feed's bytes, the URL links in it resolve against, and its content type."""
    if source.startswith(("http://", "https://")):
        result = await fetcher.get(source)
        if result.status != 200:
            raise ValueError(f"{source}: HTTP {result.status}")
        return result.body, result.url, result.content_type
    path = await asyncio.to_thread(Path(source).resolve)
    body = await asyncio.to_thread(path.read_bytes)
    return body, path.as_uri(), None


def _configured(settings: Settings, source: str) -> FeedSettings | None:
    return next((feed for feed in settings.feeds if feed.url == source), None)


def _newest(entries: list[Entry], limit: int) -> list[Entry]:
    """The newest entries first; undated ones keep the feed's order after dated ones."""
    dated = sorted(
        (e for e in entries if e.published_at), key=lambda e: e.published_at or 0, reverse=True
    )
    undated = [e for e in entries if not e.published_at]
    return (dated + undated)[: max(0, limit)]
