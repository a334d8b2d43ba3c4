"""Reading the figures: one session over ``storage.stats``, assembled into ``Stats``.

The queries return plain rows and counts; the assembly here turns them into the
values of ``figures`` and sorts them the way every form shows them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.newsroom.stats.figures import (
    BreakingReach,
    ChannelFigure,
    DayPoint,
    DeliveryFigures,
    EditFigures,
    FeedHealth,
    ReaderFigures,
    Stats,
)
from bot.newsroom.stats.history import reader_days
from storage import stats as queries
from storage.db import SessionFactory, utcnow
from storage.edits import edit_counts_since
from storage.models import Chat, Feed

CHART_DAYS = 30


async def collect_stats(sessions: SessionFactory, now: datetime | None = None) -> Stats:
    """Every figure /stats shows, read in one session."""
    now = now or utcnow()
    today = now.date()
    async with sessions() as session:
        statuses = await queries.reader_status_counts(session)
        last_day = await queries.event_counts_since(session, now - timedelta(days=1))
        last_week = await queries.event_counts_since(session, now - timedelta(days=7))
        events = await queries.reader_events(session, before=now)
        per_topic = await queries.readers_per_topic(session)
        per_language = await queries.readers_per_language(session)
        channels = [_channel(chat) for chat in await queries.channel_chats(session)]
        feeds = [_feed(feed) for feed in await queries.all_feeds(session)]
        counts = await queries.delivery_counts(session, now - timedelta(days=1))
        median = await queries.median_delivery_seconds(session, now - timedelta(days=1))
        breaking = await queries.last_breaking_reach(session)
        edits = await edit_counts_since(session, now - timedelta(days=1))
    readers = ReaderFigures(
        total=sum(statuses.values()),
        active=statuses.get("active", 0),
        blocked=statuses.get("blocked", 0),
        left=statuses.get("left", 0),
        new_24h=last_day.get("joined", 0),
        new_7d=last_week.get("joined", 0),
    )
    return Stats(
        generated_at=now,
        readers=readers,
        per_topic=_sorted_counts(per_topic),
        per_language=_sorted_counts(per_language),
        channels=channels,
        feeds=feeds,
        deliveries=DeliveryFigures(counts["sent"], counts["failed"], counts["pending"], median),
        last_breaking=_breaking(breaking),
        days=reader_days(events, today - timedelta(days=CHART_DAYS - 1), today),
        edits=EditFigures(
            edited=edits.get("edited", 0),
            failed=edits.get("failed", 0),
            expired=edits.get("expired", 0),
            pending=edits.get("pending", 0),
        ),
    )


async def collect_history(sessions: SessionFactory, now: datetime | None = None) -> list[DayPoint]:
    """Readers per day since the first event (for /export)."""
    now = now or utcnow()
    async with sessions() as session:
        first = await queries.first_reader_event_at(session)
        events = await queries.reader_events(session, before=now)
    if first is None:
        return []
    return reader_days(events, first.date(), now.date())


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _channel(chat: Chat) -> ChannelFigure:
    return ChannelFigure(
        chat.id,
        chat.telegram_id,
        chat.username,
        chat.title,
        chat.kind,
        chat.status,
        chat.is_target,
        chat.last_error,
    )


def _feed(feed: Feed) -> FeedHealth:
    return FeedHealth(
        feed.id,
        feed.url,
        feed.name or feed.title,
        feed.topic,
        feed.enabled,
        feed.last_success_at,
        feed.error_count,
        feed.last_error,
        feed.next_check_at if feed.enabled else None,
        feed.failing_since,
    )


def _breaking(reach: queries.PostReach | None) -> BreakingReach | None:
    if reach is None:
        return None
    return BreakingReach(
        reach.post_id,
        reach.published_at,
        reach.title,
        reach.state,
        reached=reach.sent + reach.deleted,
        total=reach.total,
    )


async def collect_post_reach(
    sessions: SessionFactory, limit: int = 1000
) -> list[queries.PostReach]:
    async with sessions() as session:
        return await queries.posts_reach(session, limit=limit)
