"""Deliveries: the queue and the ledger in one table (post × chat).

Everything that speaks SQL about deliveries lives here: the bulk fan-out of a
post to its chats, the claim of due rows by a worker, the recording of what
Telegram answered, and the read side (progress of a post, its sent messages).

Order of a chat's rows: highest priority first (breaking news ahead of routine
articles), then ``sort_at`` (publication order), then id. A row is claimable
only when no earlier row of the same chat is still pending or in flight, so a
chat receives its posts in that order even across retries and processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import utcnow
from storage.models import Chat, ChatEvent, Delivery, FeedChannel, Post, Subscription

ALL_TOPICS = "*"

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
DELETED = "deleted"


@dataclass(frozen=True)
class DeliveryCounts:
    """Where a post's deliveries stand."""

    total: int = 0
    sent: int = 0
    pending: int = 0  # includes rows in flight ("sending")
    failed: int = 0
    blocked: int = 0  # skipped: the chat blocked the bot or the bot left it
    deleted: int = 0


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed delivery with what is needed to send it (no ORM objects: cheap at scale)."""

    id: int
    post_id: int
    chat_id: int
    attempts: int
    priority: int
    sort_at: datetime
    telegram_id: int | None
    username: str | None
    chat_kind: str
    language: str
    chat_status: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to write back on a delivery after an attempt.

    ``status`` pending means "try again at ``next_attempt_at``".
    """

    id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    message_id: int | None = None
    with_photo: bool | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def enqueue_post(session: AsyncSession, post: Post) -> int:
    """Write one pending delivery per target chat of ``post``; return how many rows were added.

    Articles go to the feed's channels and to active readers subscribed to the
    post's topic or to every topic; breaking news goes to every active target
    channel and every active reader with any subscription. Done in one
    INSERT ... SELECT, so no chat is loaded into Python; idempotent.
    """
    if post.kind == "breaking":
        condition = or_(
            Chat.is_target.is_(True),
            and_(
                Chat.kind == "private",
                exists().where(Subscription.chat_id == Chat.id),
            ),
        )
    else:
        topics = [ALL_TOPICS] if post.topic is None else [post.topic, ALL_TOPICS]
        condition = or_(
            Chat.id.in_(select(FeedChannel.chat_id).where(FeedChannel.feed_id == post.feed_id)),
            and_(
                Chat.kind == "private",
                Chat.id.in_(select(Subscription.chat_id).where(Subscription.topic.in_(topics))),
            ),
        )
    now = utcnow()
    rows = select(
        literal(post.id, Integer),
        Chat.id,
        literal(PENDING),
        literal(post.priority, Integer),
        literal(post.sort_at),
        literal(0, Integer),
        literal(now),
        literal(now),
    ).where(Chat.status == "active", condition)
    columns = [
        "post_id",
        "chat_id",
        "status",
        "priority",
        "sort_at",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    statement = (
        _insert(session)(Delivery)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["post_id", "chat_id"])
    )
    # The caller's transaction commits: a refresh stores its articles, posts and
    # deliveries together or not at all.
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def _earlier_open_row_exists(row: Any) -> Any:
    """An earlier row of the same chat as ``row`` is still pending or in flight."""
    other = aliased(Delivery)
    return exists().where(
        other.chat_id == row.chat_id,
        other.status.in_((PENDING, SENDING)),
        or_(
            other.priority > row.priority,
            and_(
                other.priority == row.priority,
                or_(
                    other.sort_at < row.sort_at,
                    and_(other.sort_at == row.sort_at, other.id < row.id),
                ),
            ),
        ),
    )


async def claim_due(
    session: AsyncSession, worker_id: str, limit: int, now: datetime | None = None
) -> list[Claimed]:
    """Mark up to ``limit`` due rows as in flight for ``worker_id`` and return them in send order.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets several processes claim
    disjoint rows at once. SQLite: the single UPDATE ... WHERE id IN (SELECT)
    runs under SQLite's one write lock, so two claims never overlap either.
    """
    moment = now or utcnow()
    # An alias, so the subquery is not correlated with the UPDATE's own table.
    row = aliased(Delivery)
    due = (
        select(row.id)
        .where(
            row.status == PENDING,
            row.next_attempt_at <= moment,
            ~_earlier_open_row_exists(row),
        )
        .order_by(row.priority.desc(), row.sort_at, row.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(status=SENDING, claimed_by=worker_id, claimed_at=moment)
        .returning(
            Delivery.id,
            Delivery.post_id,
            Delivery.chat_id,
            Delivery.attempts,
            Delivery.priority,
            Delivery.sort_at,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = (await session.execute(statement)).all()
    if not claimed:
        await session.commit()
        return []
    chat_ids = {row.chat_id for row in claimed}
    chats = {
        row.id: row
        for row in (
            await session.execute(
                select(
                    Chat.id, Chat.telegram_id, Chat.username, Chat.kind, Chat.language, Chat.status
                ).where(Chat.id.in_(chat_ids))
            )
        ).all()
    }
    await session.commit()
    result = [
        Claimed(
            id=row.id,
            post_id=row.post_id,
            chat_id=row.chat_id,
            attempts=row.attempts,
            priority=row.priority,
            sort_at=row.sort_at,
            telegram_id=chats[row.chat_id].telegram_id,
            username=chats[row.chat_id].username,
            chat_kind=chats[row.chat_id].kind,
            language=chats[row.chat_id].language,
            chat_status=chats[row.chat_id].status,
        )
        for row in claimed
    ]
    result.sort(key=lambda c: (-c.priority, c.sort_at, c.id))
    return result


async def record_outcomes(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Write back many attempts in one executemany; only rows still in flight are touched."""
    if not outcomes:
        return
    table = Delivery.__table__
    assert isinstance(table, Table)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.status == SENDING)
        .values(
            status=bindparam("b_status"),
            attempts=bindparam("b_attempts"),
            next_attempt_at=bindparam("b_next"),
            message_id=bindparam("b_message_id"),
            with_photo=bindparam("b_with_photo"),
            last_error=bindparam("b_error"),
            sent_at=bindparam("b_sent_at"),
            claimed_by=None,
            claimed_at=None,
        )
    )
    params = [
        {
            "b_id": o.id,
            "b_status": o.status,
            "b_attempts": o.attempts,
            "b_next": o.next_attempt_at,
            "b_message_id": o.message_id,
            "b_with_photo": o.with_photo,
            "b_error": o.last_error,
            "b_sent_at": o.sent_at,
        }
        for o in outcomes
    ]
    await session.execute(statement, params)
    await session.commit()


async def release_claims(
    session: AsyncSession, worker_id: str | None, stale_before: datetime | None = None
) -> list[tuple[int, int, int]]:
    """Put in-flight rows back to pending: this worker's, and any claimed before ``stale_before``.

    Returns (delivery id, post id, chat id) of every row released: each may
    have reached its chat already, since a crash can come after Telegram
    answered and before the answer was written down.
    """
    conditions = []
    if worker_id is not None:
        conditions.append(Delivery.claimed_by == worker_id)
    if stale_before is not None:
        conditions.append(Delivery.claimed_at < stale_before)
    if not conditions:
        return []
    statement = (
        update(Delivery)
        .where(Delivery.status == SENDING, or_(*conditions))
        .values(status=PENDING, claimed_by=None, claimed_at=None)
        .returning(Delivery.id, Delivery.post_id, Delivery.chat_id)
        .execution_options(synchronize_session=False)
    )
    rows = [(r.id, r.post_id, r.chat_id) for r in (await session.execute(statement)).all()]
    await session.commit()
    return rows


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the earliest pending row becomes due (None: nothing is pending)."""
    statement = select(func.min(Delivery.next_attempt_at)).where(Delivery.status == PENDING)
    return (await session.execute(statement)).scalar_one_or_none()


async def count_open(session: AsyncSession) -> int:
    """Rows pending or in flight, across every post."""
    statement = select(func.count()).where(Delivery.status.in_((PENDING, SENDING)))
    return int((await session.execute(statement)).scalar_one())


async def skip_chat_rows(session: AsyncSession, chat_id: int, reason: str) -> int:
    """A chat no longer reachable: its pending rows are skipped, not sent."""
    statement = (
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status == PENDING)
        .values(status=SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    # The caller's transaction commits: a refresh stores its articles, posts and
    # deliveries together or not at all.
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_chat_gone(session: AsyncSession, chat_id: int, reason: str) -> str:
    """The bot was blocked (private chat) or removed (channel, group): stop targeting the chat.

    Sets the chat's status to ``blocked`` or ``left``, records a ChatEvent,
    skips the chat's pending rows; returns the new status.
    """
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return "left"
    status = "blocked" if chat.kind == "private" else "left"
    now = utcnow()
    if chat.status == "active":
        chat.status = status
        chat.left_at = now
        session.add(ChatEvent(chat_id=chat.id, kind=status, chat_kind=chat.kind, at=now))
    chat.last_error = reason
    await session.commit()
    await skip_chat_rows(session, chat_id, reason)
    return status


async def move_chat(session: AsyncSession, chat_id: int, new_telegram_id: int) -> None:
    """A group became a supergroup with a new id: the chat (our id) follows it."""
    statement = (
        update(Chat)
        .where(Chat.id == chat_id)
        .values(telegram_id=new_telegram_id, kind="supergroup")
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)
    await session.commit()


async def remember_photo(
    session: AsyncSession, post_id: int, *, file_id: str | None = None, failed: bool = False
) -> None:
    """Store the file_id Telegram gave the post's photo, or that the photo cannot be sent."""
    values: dict[str, Any] = {"photo_failed": True} if failed else {"photo_file_id": file_id}
    statement = (
        update(Post)
        .where(Post.id == post_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)
    await session.commit()


async def post_progress(session: AsyncSession, post_id: int) -> DeliveryCounts:
    """How far a post's delivery has come."""
    statement = (
        select(Delivery.status, func.count())
        .where(Delivery.post_id == post_id)
        .group_by(Delivery.status)
    )
    by_status: dict[str, int] = {
        status: int(n) for status, n in (await session.execute(statement)).all()
    }
    return DeliveryCounts(
        total=sum(by_status.values()),
        sent=by_status.get(SENT, 0),
        pending=by_status.get(PENDING, 0) + by_status.get(SENDING, 0),
        failed=by_status.get(FAILED, 0),
        blocked=by_status.get(SKIPPED, 0),
        deleted=by_status.get(DELETED, 0),
    )


async def sent_messages(session: AsyncSession, post_id: int) -> list[tuple[Chat, Delivery]]:
    """Every chat that holds the post, with its delivery (message id): for recall and correction."""
    statement = (
        select(Chat, Delivery)
        .join(Delivery, Delivery.chat_id == Chat.id)
        .where(
            Delivery.post_id == post_id,
            Delivery.status == SENT,
            Delivery.message_id.is_not(None),
        )
        .order_by(Delivery.id)
    )
    return [(chat, delivery) for chat, delivery in (await session.execute(statement)).all()]
