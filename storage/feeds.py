"""Feeds and their polling state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.topics import fold_name
from storage.chats import channel_by_ref
from storage.db import utcnow
from storage.models import Chat, Feed, FeedChannel


async def due_feeds(session: AsyncSession, now: datetime, limit: int = 50) -> Sequence[Feed]:
    """Enabled feeds whose next check has come, the most overdue first."""
    query = (
        select(Feed)
        .where(Feed.enabled.is_(True), Feed.next_check_at <= now)
        .order_by(Feed.next_check_at)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def list_feeds(session: AsyncSession) -> Sequence[Feed]:
    return (await session.scalars(select(Feed).order_by(Feed.id))).all()


async def get_feed(session: AsyncSession, feed_id: int) -> Feed | None:
    return await session.get(Feed, feed_id)


async def feed_by_url(session: AsyncSession, url: str) -> Feed | None:
    return await session.scalar(select(Feed).where(Feed.url == url))


async def upsert_feed(
    session: AsyncSession,
    *,
    url: str,
    name: str | None,
    topic: str | None,
    interval: int,
    backfill: int,
    origin: str,
    language: str | None = None,
    topic_map: Mapping[str, str] | None = None,
) -> Feed:
    """Add a feed, or update its settings; polling state is kept.

    ``language`` pins the feed's edition; without it the edition is learnt
    from the feed when it is polled. ``topic_map`` maps entries' categories
    (any case and spacing) to topics.
    """
    feed = await feed_by_url(session, url)
    now = utcnow()
    if feed is None:
        feed = Feed(url=url, next_check_at=now, created_at=now, error_count=0)
        session.add(feed)
    feed.name, feed.topic, feed.interval, feed.backfill = name, topic, interval, backfill
    feed.origin, feed.enabled = origin, True
    feed.language = language
    feed.edition = language or feed.edition
    feed.topic_map = {fold_name(k): v for k, v in (topic_map or {}).items()} or None
    await session.flush()
    return feed


async def editions(session: AsyncSession) -> list[str]:
    """The editions the outlet publishes: those of its enabled feeds, sorted."""
    query = select(Feed.edition).where(Feed.enabled.is_(True), Feed.edition.is_not(None))
    return sorted({edition for edition in (await session.scalars(query.distinct())) if edition})


async def set_feed_channels(session: AsyncSession, feed: Feed, chats: Sequence[Chat]) -> None:
    """The channels a feed posts to are exactly ``chats``."""
    await session.execute(delete(FeedChannel).where(FeedChannel.feed_id == feed.id))
    for chat in chats:
        session.add(FeedChannel(feed_id=feed.id, chat_id=chat.id))
    await session.flush()


async def add_feed_channel(session: AsyncSession, feed: Feed, chat: Chat) -> None:
    exists = await session.get(FeedChannel, (feed.id, chat.id))
    if exists is None:
        session.add(FeedChannel(feed_id=feed.id, chat_id=chat.id))
        await session.flush()


async def feed_channels(session: AsyncSession, feed_id: int) -> Sequence[Chat]:
    query = (
        select(Chat)
        .join(FeedChannel, FeedChannel.chat_id == Chat.id)
        .where(FeedChannel.feed_id == feed_id)
        .order_by(Chat.id)
    )
    return (await session.scalars(query)).all()


async def remove_feed(session: AsyncSession, feed_id: int) -> bool:
    """Delete a feed with its articles; returns whether it existed."""
    feed = await session.get(Feed, feed_id)
    if feed is None:
        return False
    await session.delete(feed)
    await session.flush()
    return True


async def feeds_for_channel_ref(session: AsyncSession, ref: int | str) -> Sequence[Feed]:
    chat = await channel_by_ref(session, ref)
    if chat is None:
        return []
    query = (
        select(Feed)
        .join(FeedChannel, FeedChannel.feed_id == Feed.id)
        .where(FeedChannel.chat_id == chat.id)
    )
    return (await session.scalars(query)).all()
