"""Refresh one feed: conditional GET, parse, keep what is new, queue its posts.

One linear function, after miniflux's ``RefreshFeed``: the network and the
parser run outside any database transaction, and everything a refresh learns
(new articles, their posts and deliveries, the feed's polling state) is
written in one transaction, so a crash never half-records a poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.articles.enrich import Enriched, enrich_entry
from bot.feeds.fetcher import Fetcher, FetchError, FetchResult
from bot.feeds.parser.document import parse_feed
from bot.feeds.parser.model import Entry, ParsedFeed
from bot.feeds.schedule import next_check_after_error, next_check_after_success
from bot.feeds.sections import edition_of, topic_of
from bot.feeds.updates import Change, changed_entries, editable, record_change
from config.settings import Settings
from storage.articles import article_post, known_keys
from storage.db import SessionFactory, utcnow
from storage.deliveries import enqueue_post
from storage.edits import followed_articles
from storage.models import Article, Feed

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)

Enricher = Callable[..., Awaitable[Enriched]]


@dataclass
class RefreshResult:
    feed_id: int
    status: str  # new | unchanged | not-modified | error
    posts: list[int] = field(default_factory=list)
    seen: int = 0
    deliveries: int = 0
    edits: int = 0  # copies of changed articles queued for editing
    error: str | None = None


def select_new(entries: Sequence[Entry], known: set[str]) -> list[Entry]:
    """Entries not seen before, each key once, in the feed's order."""
    fresh: list[Entry] = []
    keys = set(known)
    for entry in entries:
        if entry.key not in keys:
            keys.add(entry.key)
            fresh.append(entry)
    return fresh


def publication_order(entries: Sequence[Entry]) -> list[Entry]:
    """Oldest first: by date when every entry has one, else the feed's order reversed.

    Feeds list newest first; when some dates are missing, the feed's own order
    is the only ordering that covers every entry.
    """
    oldest_first = list(reversed(entries))
    if any(entry.published_at is None for entry in entries):
        return oldest_first
    # sorted() is stable, so entries with equal dates keep the reversed feed order.
    return sorted(oldest_first, key=lambda entry: entry.published_at or 0)


def to_post(fresh: Sequence[Entry], *, first_poll: bool, backfill: int) -> list[Entry]:
    """What to post: everything new, except on a feed's first poll only the ``backfill`` newest."""
    ordered = publication_order(fresh)
    if not first_poll:
        return ordered
    return ordered[len(ordered) - backfill :] if backfill else []


def content_hash(entry: Entry) -> str:
    """What the post is made of, as the feed gives it: title, summary, link and first photo."""
    digest = hashlib.sha256()
    parts = [entry.title, entry.summary, entry.url or ""]
    if entry.images:  # left out when absent, so entries without photos keep their old hash
        parts.append(entry.images[0].url)
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


async def refresh_feed(
    feed_id: int,
    *,
    sessions: SessionFactory,
    fetcher: Fetcher,
    settings: Settings,
    enricher: Enricher = enrich_entry,
) -> RefreshResult:
    """Poll one feed and queue a post for each new entry."""
    async with sessions() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return RefreshResult(feed_id, "error", error="feed removed")
        url, etag, modified = feed.url, feed.etag, feed.last_modified
    try:
        response = await fetcher.get(url, etag=etag, last_modified=modified, accept=FEED_ACCEPT)
        parsed = await parse_response(response)
    except (FetchError, ValueError) as exc:
        return await _record_error(sessions, feed_id, str(exc), settings)
    if parsed is None:
        return await _record_not_modified(sessions, feed_id)
    return await _store(sessions, feed_id, response, parsed, fetcher, settings, enricher)


async def parse_response(response: FetchResult) -> ParsedFeed | None:
    """The feed in a fetched response (None for 304); FetchError or ValueError if none."""
    if response.not_modified:
        return None
    if response.status >= 400:
        raise FetchError(f"HTTP {response.status} from {response.url}")
    # feedparser is CPU work: keep it off the event loop so delivery never stalls.
    return await asyncio.to_thread(parse_feed, response.body, response.url, response.content_type)


async def _store(
    sessions: SessionFactory,
    feed_id: int,
    response: FetchResult,
    parsed: ParsedFeed,
    fetcher: Fetcher,
    settings: Settings,
    enricher: Enricher,
) -> RefreshResult:
    if parsed.bozo:
        log.info("feed parsed with problems feed_id=%s bozo=%r", feed_id, parsed.bozo[:200])
    async with sessions() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return RefreshResult(feed_id, "error", error="feed removed")
        keys = [e.key for e in parsed.entries]
        if settings.post.follow_updates:
            followed = await followed_articles(session, feed_id, keys)
            known = set(followed)
        else:
            followed, known = {}, await known_keys(session, feed_id, keys)
        first_poll, backfill, feed_url = feed.first_polled_at is None, feed.backfill, feed.url
    fresh = select_new(parsed.entries, known)
    posting = to_post(fresh, first_poll=first_poll, backfill=backfill)
    changes = changed_entries(
        parsed.entries, followed, {e.key: content_hash(e) for e in parsed.entries}
    )
    enriched = {
        entry.key: await _enrich(enricher, entry, fetcher, feed_url, settings) for entry in posting
    }
    followable = await _enrich_changes(changes, enricher, fetcher, feed_url, settings)
    async with sessions() as session, session.begin():
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return RefreshResult(feed_id, "error", error="feed removed")
        feed.edition = edition_of(feed.language, parsed.language, settings.post.language)
        result = await _record_entries(session, feed, fresh, posting, enriched)
        for change in changes:
            now = utcnow()
            result.edits += await record_change(
                session, change, followable.get(change.entry.key), now
            )
        _mark_success(feed, response, parsed, settings)
    if result.posts:
        log.info("feed refreshed feed_id=%s new_posts=%d", feed_id, len(result.posts))
    return result


async def _enrich_changes(
    changes: Sequence[Change],
    enricher: Enricher,
    fetcher: Fetcher,
    feed_url: str,
    settings: Settings,
) -> dict[str, Enriched]:
    """What changed posts would say now; posts past the 48 hours are logged and left alone."""
    now = utcnow()
    ready: dict[str, Enriched] = {}
    for change in changes:
        if change.followed.post_id is None:
            continue
        if not editable(change.followed.published_at, now):
            log.info(
                "article changed after 48 h, not edited post_id=%s key=%r",
                change.followed.post_id,
                change.entry.key,
            )
            continue
        ready[change.entry.key] = await _enrich(enricher, change.entry, fetcher, feed_url, settings)
    return ready


async def _enrich(
    enricher: Enricher, entry: Entry, fetcher: Fetcher, feed_url: str, settings: Settings
) -> Enriched:
    return await enricher(
        entry,
        fetcher,
        feed_url=feed_url,
        sentences=settings.post.summary_sentences,
        fetch_pages=settings.polling.fetch_pages,
    )


async def _record_entries(
    session: AsyncSession,
    feed: Feed,
    fresh: Sequence[Entry],
    posting: Sequence[Entry],
    enriched: dict[str, Enriched],
) -> RefreshResult:
    now = utcnow()
    result = RefreshResult(feed.id, "new" if posting else "unchanged", seen=len(fresh))
    articles: dict[str, Article] = {}
    for entry in fresh:
        article = _article(feed, entry, enriched.get(entry.key), now)
        session.add(article)
        articles[entry.key] = article
    await session.flush()
    for entry in posting:
        topic = topic_of(entry.categories, feed.topic_map, feed.topic)
        post = article_post(feed, articles[entry.key], _sort_at(entry, now), now, topic=topic)
        session.add(post)
        await session.flush()
        result.posts.append(post.id)
        result.deliveries += await enqueue_post(session, post)
    return result


def _sort_at(entry: Entry, now: datetime) -> datetime:
    if entry.published_at is None:
        return now
    return min(entry.published_at.replace(tzinfo=None), now)


def _article(feed: Feed, entry: Entry, ready: Enriched | None, now: datetime) -> Article:
    return Article(
        feed_id=feed.id,
        key=entry.key,
        url=entry.url,
        title=ready.title if ready else entry.title,
        summary=ready.summary if ready else "",
        image_url=ready.image_url if ready else None,
        image_credit=ready.credit if ready else None,
        author=entry.author,
        language=feed.edition,  # the edition the article belongs to, which routes it
        categories=list(entry.categories),
        published_at=entry.published_at.replace(tzinfo=None) if entry.published_at else None,
        discovered_at=now,
        content_hash=content_hash(entry),
    )


def _mark_success(
    feed: Feed, response: FetchResult, parsed: ParsedFeed, settings: Settings
) -> None:
    now = utcnow()
    feed.etag = response.etag
    feed.last_modified = response.last_modified
    if parsed.title and not feed.title:
        feed.title = parsed.title[:512]
    feed.first_polled_at = feed.first_polled_at or now
    _healthy(feed, now)


def _healthy(feed: Feed, now: datetime) -> None:
    feed.last_checked_at = feed.last_success_at = now
    feed.error_count = 0
    feed.failing_since = None
    feed.last_error = None
    feed.next_check_at = next_check_after_success(now, feed.interval)


async def _record_not_modified(sessions: SessionFactory, feed_id: int) -> RefreshResult:
    async with sessions() as session, session.begin():
        feed = await session.get(Feed, feed_id)
        if feed is not None:
            _healthy(feed, utcnow())
    return RefreshResult(feed_id, "not-modified")


async def _record_error(
    sessions: SessionFactory, feed_id: int, error: str, settings: Settings
) -> RefreshResult:
    now = utcnow()
    async with sessions() as session, session.begin():
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return RefreshResult(feed_id, "error", error=error)
        feed.error_count += 1
        feed.failing_since = feed.failing_since or now
        feed.last_error = error[:2000]
        feed.last_checked_at = now
        feed.next_check_at = next_check_after_error(
            now, feed.interval, feed.error_count, settings.polling.max_backoff
        )
        errors = feed.error_count
    log.warning("feed failed feed_id=%s errors=%d error=%s", feed_id, errors, error)
    return RefreshResult(feed_id, "error", error=error)
