"""The SQL behind the admins' figures: counts over chats, events, feeds and deliveries.

Every query here reads; none writes. Assembling the figures into a report is
``bot.newsroom.stats``'s job, so these functions return plain rows and counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import count_open
from storage.models import (
    FAILED,
    Article,
    Chat,
    ChatEvent,
    Delivery,
    Feed,
    Post,
    Subscription,
    status_is,
)

READER = "private"


async def reader_status_counts(session: AsyncSession) -> dict[str, int]:
    """Readers (private chats) by status: active, blocked, left."""
    query = select(Chat.status, func.count()).where(Chat.kind == READER).group_by(Chat.status)
    return {status: int(count) for status, count in (await session.execute(query)).all()}


async def event_counts_since(
    session: AsyncSession, since: datetime, *, chat_kind: str = READER
) -> dict[str, int]:
    """How many events of each kind happened at or after ``since``."""
    query = (
        select(ChatEvent.kind, func.count())
        .where(ChatEvent.chat_kind == chat_kind, ChatEvent.at >= since)
        .group_by(ChatEvent.kind)
    )
    return {kind: int(count) for kind, count in (await session.execute(query)).all()}


@dataclass(frozen=True)
class EventRow:
    chat_id: int | None  # None once the reader was forgotten
    kind: str
    at: datetime


async def reader_events(
    session: AsyncSession, *, before: datetime | None = None
) -> Sequence[EventRow]:
    """Readers' events in the order they happened (all of them, or those before ``before``)."""
    query = select(ChatEvent.chat_id, ChatEvent.kind, ChatEvent.at).where(
        ChatEvent.chat_kind == READER
    )
    if before is not None:
        query = query.where(ChatEvent.at < before)
    rows = await session.execute(query.order_by(ChatEvent.at, ChatEvent.id))
    return [EventRow(chat_id, kind, at) for chat_id, kind, at in rows.all()]


async def first_reader_event_at(session: AsyncSession) -> datetime | None:
    query = select(func.min(ChatEvent.at)).where(ChatEvent.chat_kind == READER)
    return await session.scalar(query)


async def readers_per_topic(session: AsyncSession) -> dict[str, int]:
    """Active readers subscribed to each topic (``*`` is every topic)."""
    query = (
        select(Subscription.topic, func.count())
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Chat.kind == READER, Chat.status == "active")
        .group_by(Subscription.topic)
    )
    return {topic: int(count) for topic, count in (await session.execute(query)).all()}


async def readers_per_language(session: AsyncSession) -> dict[str, int]:
    """Active readers by the language they read in."""
    query = (
        select(Chat.language, func.count())
        .where(Chat.kind == READER, Chat.status == "active")
        .group_by(Chat.language)
    )
    return {lang: int(count) for lang, count in (await session.execute(query)).all()}


async def channel_chats(session: AsyncSession) -> Sequence[Chat]:
    """Every chat that is not a reader's: channels and groups, targets first."""
    query = select(Chat).where(Chat.kind != READER).order_by(Chat.is_target.desc(), Chat.id)
    return (await session.scalars(query)).all()


async def all_feeds(session: AsyncSession) -> Sequence[Feed]:
    return (await session.scalars(select(Feed).order_by(Feed.id))).all()


async def delivery_counts(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Deliveries sent since ``since``, failed among those queued since then, and queued now."""
    sent = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.sent_at >= since)
    )
    failed = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(status_is(Delivery.status, FAILED), Delivery.created_at >= since)
    )
    pending = await count_open(session)
    return {"sent": int(sent or 0), "failed": int(failed or 0), "pending": pending}


def _seconds_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[float]:
    """``end - start`` in seconds, as each back end spells it."""
    if session.get_bind().dialect.name == "sqlite":
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
    return cast(func.extract("epoch", end - start), Float)


async def median_delivery_seconds(session: AsyncSession, since: datetime) -> float | None:
    """Median seconds from an article's discovery to its delivery, for those sent since then."""
    delay = _seconds_between(session, Article.discovered_at, Delivery.sent_at)
    base = (
        select(delay.label("delay"))
        .select_from(Delivery)
        .join(Post, Post.id == Delivery.post_id)
        .join(Article, Article.id == Post.article_id)
        .where(Delivery.sent_at >= since)
    )
    count = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    if count == 0:
        return None
    # Middle one or two values, found by the database: no need to load every delivery.
    middle = base.order_by(delay).offset((count - 1) // 2).limit(2 - count % 2)
    values = [float(v) for v in (await session.scalars(middle)).all()]
    return sum(values) / len(values)


@dataclass(frozen=True)
class PostReach:
    post_id: int
    kind: str
    state: str
    published_at: datetime | None
    title: str
    total: int
    sent: int
    failed: int
    pending: int
    skipped: int
    deleted: int


def _reach_columns() -> list[Any]:
    def status_count(*statuses: str) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((Delivery.status.in_(statuses), 1), else_=0)), 0)

    return [
        func.count(Delivery.id),
        status_count("sent"),
        status_count("failed"),
        status_count("pending", "sending"),
        status_count("skipped"),
        status_count("deleted"),
    ]


async def posts_reach(
    session: AsyncSession, *, kind: str | None = None, limit: int = 1000
) -> list[PostReach]:
    """Published (or recalled) posts, newest first, with their deliveries counted by status."""
    title = func.coalesce(Article.title, Post.text, "")
    query = (
        select(Post.id, Post.kind, Post.state, Post.published_at, title, *_reach_columns())
        .outerjoin(Article, Article.id == Post.article_id)
        .outerjoin(Delivery, Delivery.post_id == Post.id)
        .where(Post.published_at.is_not(None), Post.state.in_(("published", "recalled")))
        .group_by(Post.id, Post.kind, Post.state, Post.published_at, title)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )
    if kind is not None:
        query = query.where(Post.kind == kind)
    return [
        PostReach(pid, k, state, at, str(text or ""), *(int(n or 0) for n in counts))
        for pid, k, state, at, text, *counts in (await session.execute(query)).all()
    ]


async def last_breaking_reach(session: AsyncSession) -> PostReach | None:
    found = await posts_reach(session, kind="breaking", limit=1)
    return found[0] if found else None


async def failing_channels(session: AsyncSession, since: datetime | None = None) -> dict[int, str]:
    """Target channels whose latest deliveries failed for good (queued after the last one
    that got through, and since ``since`` if given): the channel stopped accepting posts.

    Maps our chat id to one of those failures' error (the greatest, for a stable answer).
    """
    last_sent = (
        select(Delivery.chat_id, func.max(Delivery.sent_at).label("last_sent"))
        .group_by(Delivery.chat_id)
        .subquery()
    )
    query = (
        select(Delivery.chat_id, func.max(func.coalesce(Delivery.last_error, "failed")))
        .join(Chat, Chat.id == Delivery.chat_id)
        .outerjoin(last_sent, last_sent.c.chat_id == Delivery.chat_id)
        .where(
            Chat.kind != READER,
            Chat.is_target.is_(True),
            status_is(Delivery.status, FAILED),
            (last_sent.c.last_sent.is_(None)) | (last_sent.c.last_sent < Delivery.created_at),
        )
        .group_by(Delivery.chat_id)
    )
    if since is not None:
        query = query.where(Delivery.created_at >= since)
    return {chat_id: str(error) for chat_id, error in (await session.execute(query)).all()}
