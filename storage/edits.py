"""The edit queue: sent copies of an article's post brought up to the article's newest revision.

A change at the source gives the article a new revision and one ``edits`` row
per copy of its post (``enqueue_edits``, in the refresh's transaction). Rows
are claimed like deliveries (``claim_edits``; a claim older than a few minutes
is a crashed worker's and is taken again) and settled once (``settle_edit``
touches only a row still in flight), so a restart neither loses nor repeats
an edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deliveries import PENDING, SENDING, SENT, SKIPPED, _insert
from storage.models import Article, Chat, Delivery, Edit, Post

EDITED = "edited"  # Telegram changed the message
UNCHANGED = "unchanged"  # the copy already said it (it was sent after the change)
EXPIRED = "expired"  # past the 48 hours: left as it is
SUPERSEDED = "superseded"  # a newer revision came before this one was edited
OPEN = (PENDING, SENDING)


@dataclass(frozen=True)
class Followed:
    """An article already seen, and the post that announced it (if it was posted)."""

    article_id: int
    key: str
    content_hash: str
    post_id: int | None
    published_at: datetime | None


@dataclass(frozen=True)
class ClaimedEdit:
    """A claimed edit with what is needed to make it (no ORM objects)."""

    id: int
    post_id: int
    revision: int
    new_photo: bool
    attempts: int  # including this one
    chat_id: int
    message_id: int
    with_photo: bool
    sent_at: datetime | None
    telegram_id: int | None
    username: str | None
    chat_kind: str
    language: str


async def followed_articles(
    session: AsyncSession, feed_id: int, keys: Iterable[str]
) -> dict[str, Followed]:
    """The feed's known articles among ``keys``, by key, with their posts."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Followed] = {}
    for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
        query = (
            select(Article.id, Article.key, Article.content_hash, Post.id, Post.published_at)
            .outerjoin(Post, Post.article_id == Article.id)
            .where(Article.feed_id == feed_id, Article.key.in_(wanted[start : start + 500]))
        )
        for article_id, key, digest, post_id, published in (await session.execute(query)).all():
            found[key] = Followed(article_id, key, digest, post_id, published)
    return found


async def enqueue_edits(
    session: AsyncSession, post_id: int, revision: int, *, new_photo: bool, now: datetime
) -> int:
    """One pending edit per copy of the post that was sent or may still be; older ones give way.

    Copies not sent yet are included: the worker may hold the old text in
    memory, and an edit waits until its copy is sent (or is skipped if it
    never is). Idempotent; the caller commits.
    """
    await session.execute(
        update(Edit)
        .where(Edit.post_id == post_id, Edit.status == PENDING, Edit.revision < revision)
        .values(status=SUPERSEDED, done_at=now)
        .execution_options(synchronize_session=False)
    )
    rows = select(
        Delivery.id,
        literal(post_id, Integer),
        literal(revision, Integer),
        literal(new_photo),
        literal(PENDING),
        literal(0, Integer),
        literal(now),
        literal(now),
    ).where(Delivery.post_id == post_id, Delivery.status.in_((SENT, PENDING, SENDING)))
    columns = [
        "delivery_id",
        "post_id",
        "revision",
        "new_photo",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    statement = (
        _insert(session)(Edit)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["delivery_id", "revision"])
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def skip_unsent(session: AsyncSession, now: datetime) -> int:
    """Edits of copies that will never be sent (failed, skipped, deleted) are settled as skipped."""
    unsent = select(Delivery.id).where(Delivery.status.notin_((SENT, PENDING, SENDING)))
    result = await session.execute(
        update(Edit)
        .where(Edit.status == PENDING, Edit.delivery_id.in_(unsent))
        .values(status=SKIPPED, done_at=now, last_error="the copy was never sent")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_edits(
    session: AsyncSession, worker_id: str, limit: int, *, now: datetime, stale_before: datetime
) -> list[ClaimedEdit]:
    """Claim due edits of sent copies (and edits a crashed worker left in flight); commits."""
    due = or_(
        and_(Edit.status == PENDING, Edit.next_attempt_at <= now),
        and_(Edit.status == SENDING, Edit.claimed_at < stale_before),
    )
    query = (
        select(Edit, Delivery, Chat)
        .join(Delivery, Delivery.id == Edit.delivery_id)
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(due, Delivery.status == SENT, Delivery.message_id.is_not(None))
        .order_by(Edit.next_attempt_at, Edit.id)
        .limit(limit)
        .with_for_update(of=Edit, skip_locked=True)
    )
    claimed: list[ClaimedEdit] = []
    for edit, delivery, chat in (await session.execute(query)).all():
        edit.status, edit.claimed_by, edit.claimed_at = SENDING, worker_id, now
        edit.attempts += 1
        claimed.append(
            ClaimedEdit(
                id=edit.id,
                post_id=edit.post_id,
                revision=edit.revision,
                new_photo=edit.new_photo,
                attempts=edit.attempts,
                chat_id=chat.id,
                message_id=int(delivery.message_id or 0),
                with_photo=bool(delivery.with_photo),
                sent_at=delivery.sent_at,
                telegram_id=chat.telegram_id,
                username=chat.username,
                chat_kind=chat.kind,
                language=chat.language,
            )
        )
    await session.commit()
    return claimed


async def settle_edit(
    session: AsyncSession,
    edit_id: int,
    status: str,
    *,
    now: datetime,
    error: str | None = None,
    next_at: datetime | None = None,
) -> bool:
    """Write what came of an edit in flight (pending again: retry at ``next_at``); commits."""
    values: dict[str, object] = {"status": status, "last_error": error, "claimed_by": None}
    if status == PENDING:
        values["next_attempt_at"] = next_at or now
    else:
        values["done_at"] = now
    result = await session.execute(
        update(Edit)
        .where(Edit.id == edit_id, Edit.status == SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def revision_tally(session: AsyncSession, post_id: int, revision: int) -> dict[str, int]:
    """How the edits of one revision of a post stand, by status."""
    query = (
        select(Edit.status, func.count())
        .where(Edit.post_id == post_id, Edit.revision == revision)
        .group_by(Edit.status)
    )
    return {status: int(count) for status, count in (await session.execute(query)).all()}


async def edit_counts_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Edits settled at or after ``since`` by status, and those still open (``pending``)."""
    settled = select(Edit.status, func.count()).where(Edit.done_at >= since).group_by(Edit.status)
    counts = {status: int(count) for status, count in (await session.execute(settled)).all()}
    waiting = select(func.count()).where(Edit.status.in_(OPEN))
    counts[PENDING] = int(await session.scalar(waiting) or 0)
    return counts


async def open_edits(session: AsyncSession) -> int:
    """Edits not settled yet (pending or in flight)."""
    return int(await session.scalar(select(func.count()).where(Edit.status.in_(OPEN))) or 0)


async def next_edit_due(session: AsyncSession) -> datetime | None:
    """When the earliest pending edit of a sent copy falls due."""
    query = (
        select(func.min(Edit.next_attempt_at))
        .join(Delivery, Delivery.id == Edit.delivery_id)
        .where(Edit.status == PENDING, Delivery.status == SENT)
    )
    return await session.scalar(query)
