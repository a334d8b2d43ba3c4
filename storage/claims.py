"""Claims on the delivery queue: which due rows a worker takes, in what order, and their release.

The worker's side of the deliveries table: the claim of due rows (in send
order, disjoint across processes), the owners of rows in flight and the
release of a dead worker's claims, and when the queue next has work.

Order of a chat's rows: highest priority first (breaking news ahead of routine
articles), then ``sort_at`` (publication order), then id. A row is claimable
only when no earlier row of the same chat is still pending or in flight, so a
chat receives its posts in that order even across retries and processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.db import utcnow
from storage.deliveries import PENDING, SENDING
from storage.models import Chat, Delivery


class Claimed(NamedTuple):
    """A claimed delivery with what is needed to send it (no ORM objects: cheap at scale).

    A named tuple: a frozen dataclass set each of its 11 fields through
    ``object.__setattr__``, 2 % of the bot's CPU in a paid broadcast.
    """

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


def _earlier_open_row_exists(row: Any) -> Any:
    """An earlier row of the same chat as ``row`` is still pending or in flight."""
    other = aliased(Delivery)
    return exists().where(
        other.chat_id == row.chat_id,
        # Wrapped so that the lookup goes by the chat (ix_deliveries_chat, a few
        # rows) and never walks ix_deliveries_queue (every pending row).
        func.coalesce(other.status, "").in_((PENDING, SENDING)),
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
    claimed: list[Any] = []
    # One priority level at a time, highest first: each level is read in
    # (sort_at, id) order straight from ix_deliveries_queue, a batch at a time,
    # however long the queue (a descending column in the index would do it in
    # one statement, but Alembic cannot compare such an index with the models).
    level = await _next_level(session, above=None)
    while level is not None and len(claimed) < limit:
        claimed += await _claim_level(session, worker_id, level, limit - len(claimed), moment)
        level = await _next_level(session, above=level)
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


def _due(row: Any, moment: datetime) -> list[ColumnElement[bool]]:
    # next_attempt_at is wrapped so that the planner walks ix_deliveries_queue
    # in send order rather than the due-time index plus a sort of every pending
    # row: nearly every pending row is due anyway.
    return [row.status == PENDING, func.coalesce(row.next_attempt_at, moment) <= moment]


async def _next_level(session: AsyncSession, above: int | None) -> int | None:
    """The highest priority with pending rows, below ``above`` when given.

    Due or not: that keeps it one seek in ix_deliveries_queue; a level whose
    rows are all waiting simply claims nothing.
    """
    conditions = [Delivery.status == PENDING]
    if above is not None:
        conditions.append(Delivery.priority < above)
    statement = select(func.max(Delivery.priority)).where(*conditions)
    level = (await session.execute(statement)).scalar_one_or_none()
    return None if level is None else int(level)


async def _claim_level(
    session: AsyncSession, worker_id: str, level: int, limit: int, moment: datetime
) -> list[Any]:
    # An alias, so the subquery is not correlated with the UPDATE's own table.
    row = aliased(Delivery)
    due = (
        select(row.id)
        .where(row.priority == level, *_due(row, moment), ~_earlier_open_row_exists(row))
        .order_by(row.sort_at, row.id)
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
    return list((await session.execute(statement)).all())


async def claim_owners(session: AsyncSession) -> list[str]:
    """The workers that have rows in flight."""
    statement = (
        select(Delivery.claimed_by)
        .where(Delivery.status == SENDING, Delivery.claimed_by.is_not(None))
        .distinct()
    )
    return [str(owner) for owner in (await session.execute(statement)).scalars().all()]


async def release_claims(
    session: AsyncSession,
    owners: str | Sequence[str] | None,
    stale_before: datetime | None = None,
) -> list[tuple[int, int, int]]:
    """Put in-flight rows back to pending: ``owners``' rows and any claimed before ``stale_before``.

    Returns (delivery id, post id, chat id) of every row released: each may
    have reached its chat already, since a crash can come after Telegram
    answered and before the answer was written down.
    """
    conditions: list[ColumnElement[bool]] = []
    if isinstance(owners, str):
        owners = [owners]
    if owners:
        conditions.append(Delivery.claimed_by.in_(list(owners)))
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
