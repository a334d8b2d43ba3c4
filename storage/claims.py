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

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.bulk import DriverStatement
from storage.db import utcnow
from storage.models import PENDING, SENDING, Chat, Delivery, status_is, table_of


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


# The claim's statements are built once: built per claim, SQLAlchemy's ORM
# adaptation of the aliases and the cache key of the nested EXISTS cost about
# 10 ms of the event loop's time per claim of 200 rows, at the pace of a paid
# broadcast a stall of the sends every 200 ms (bench/RESULTS.md). Core tables
# and bind parameters make the same SQL.
_deliveries = table_of(Delivery)
_chats = table_of(Chat)


def _earlier_open_row_exists(row: Any) -> Any:
    """An earlier row of the same chat as ``row`` is still pending or in flight."""
    other = _deliveries.alias("earlier")
    return exists().where(
        other.c.chat_id == row.c.chat_id,
        # Wrapped so that the lookup goes by the chat (ix_deliveries_chat, a few
        # rows) and never walks ix_deliveries_queue (every pending row).
        func.coalesce(other.c.status, "").in_((PENDING, SENDING)),
        or_(
            other.c.priority > row.c.priority,
            and_(
                other.c.priority == row.c.priority,
                or_(
                    other.c.sort_at < row.c.sort_at,
                    and_(other.c.sort_at == row.c.sort_at, other.c.id < row.c.id),
                ),
            ),
        ),
    )


def _claim_statement() -> Any:
    """Up to ``:limit`` due rows of priority ``:level``, in send order, marked in flight."""
    # An alias, so the subquery is not correlated with the UPDATE's own table.
    row = _deliveries.alias("due")
    moment = bindparam("moment", type_=_deliveries.c.claimed_at.type)
    due = (
        select(row.c.id)
        .where(
            row.c.priority == bindparam("level"),
            status_is(row.c.status, PENDING),
            # next_attempt_at is wrapped so that the planner walks ix_deliveries_queue
            # in send order rather than the due-time index plus a sort of every
            # pending row: nearly every pending row is due anyway.
            func.coalesce(row.c.next_attempt_at, moment) <= moment,
            ~_earlier_open_row_exists(row),
        )
        .order_by(row.c.sort_at, row.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    # RETURNING's columns, then the chat's below, in the order of Claimed's fields.
    return (
        update(_deliveries)
        .where(_deliveries.c.id.in_(due.scalar_subquery()))
        .values(status=SENDING, claimed_by=bindparam("worker"), claimed_at=moment)
        .returning(
            _deliveries.c.id,
            _deliveries.c.post_id,
            _deliveries.c.chat_id,
            _deliveries.c.attempts,
            _deliveries.c.priority,
            _deliveries.c.sort_at,
        )
    )


# The chats of the rows a claim took (``:worker`` at ``:moment``): found through the
# rows in flight, a few hundred at most, so the statement needs no list of ids.
_claimed = _deliveries.alias("claimed")
_CHATS_STATEMENT = select(
    _chats.c.id,
    _chats.c.telegram_id,
    _chats.c.username,
    _chats.c.kind,
    _chats.c.language,
    _chats.c.status,
).where(
    _chats.c.id.in_(
        select(_claimed.c.chat_id).where(
            status_is(_claimed.c.status, SENDING),
            _claimed.c.claimed_by == bindparam("worker"),
            _claimed.c.claimed_at == bindparam("moment", type_=_claimed.c.claimed_at.type),
        )
    )
)
# The highest priority with pending rows (below ``:above``). Due or not: that
# keeps it one seek in ix_deliveries_queue; a level whose rows all wait claims nothing.
_TOP_LEVEL_STATEMENT = select(func.max(_deliveries.c.priority)).where(
    status_is(_deliveries.c.status, PENDING)
)
# Run on the driver, laid out once per database (storage/bulk.py).
_CLAIM = DriverStatement(_claim_statement(), ("level", "limit", "moment", "worker"))
_CHATS = DriverStatement(_CHATS_STATEMENT, ("worker", "moment"))
_TOP_LEVEL = DriverStatement(_TOP_LEVEL_STATEMENT, ())
_LEVEL_BELOW = DriverStatement(
    _TOP_LEVEL_STATEMENT.where(_deliveries.c.priority < bindparam("above")), ("above",)
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
    level = _first(await _TOP_LEVEL.fetch(session, ()))
    while level is not None:
        claimed += await _CLAIM.fetch(session, (level, limit - len(claimed), moment, worker_id))
        if len(claimed) >= limit:
            break
        level = _first(await _LEVEL_BELOW.fetch(session, (level,)))
    if not claimed:
        await session.commit()
        return []
    chats = {chat[0]: chat[1:] for chat in await _CHATS.fetch(session, (worker_id, moment))}
    await session.commit()
    # Positional: a named tuple from the two rows' columns, cheaper than by name at scale.
    result = [Claimed._make((*row, *chats[row[2]])) for row in claimed]
    result.sort(key=lambda c: (-c.priority, c.sort_at, c.id))
    return result


def _first(rows: list[tuple[Any, ...]]) -> Any:
    """The one value of a one-row, one-column result (None if no row)."""
    return rows[0][0] if rows else None


async def claim_owners(session: AsyncSession) -> list[str]:
    """The workers that have rows in flight."""
    statement = (
        select(Delivery.claimed_by)
        .where(status_is(Delivery.status, SENDING), Delivery.claimed_by.is_not(None))
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
        .where(status_is(Delivery.status, SENDING), or_(*conditions))
        .values(status=PENDING, claimed_by=None, claimed_at=None)
        .returning(Delivery.id, Delivery.post_id, Delivery.chat_id)
        .execution_options(synchronize_session=False)
    )
    rows = [(r.id, r.post_id, r.chat_id) for r in (await session.execute(statement)).all()]
    await session.commit()
    return rows


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the earliest pending row becomes due (None: nothing is pending)."""
    statement = select(func.min(Delivery.next_attempt_at)).where(
        status_is(Delivery.status, PENDING)
    )
    return (await session.execute(statement)).scalar_one_or_none()


class OpenRows(NamedTuple):
    """The rows pending or in flight, across every post."""

    rows: int
    oldest: datetime | None  # when the oldest of them was queued (naive UTC)


async def open_rows(session: AsyncSession) -> OpenRows:
    """How many rows are pending or in flight, and since when the oldest waits."""
    rows, oldest = 0, None
    # A statement per status, each read through its index of that status only.
    # Asked together (IN, OR) or as a bare count(*), SQLite would read the whole
    # ledger instead: every row ever sent (tests/integration/test_storage_plans.py).
    for status in (PENDING, SENDING):
        statement = select(func.count(), func.min(Delivery.created_at)).where(
            status_is(Delivery.status, status)
        )
        some, first = (await session.execute(statement)).one()
        rows += some
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    return OpenRows(int(rows), oldest)


async def count_open(session: AsyncSession) -> int:
    """Rows pending or in flight, across every post."""
    return (await open_rows(session)).rows
