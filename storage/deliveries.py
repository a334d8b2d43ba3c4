"""Deliveries: the queue and the ledger in one table (post × chat), the ledger's side.

The bulk fan-out of a post to its chats, the recording of what Telegram
answered (and what it says about the chat or the post's photo), and the read
side (progress of a post, its sent messages). The claim of due rows by a
worker, and the order it keeps, are in ``storage.claims``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, bindparam, exists, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import DriverStatement
from storage.db import utcnow
from storage.models import (
    DELETED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    Article,
    Chat,
    ChatEdition,
    ChatEvent,
    Delivery,
    Feed,
    FeedChannel,
    Post,
    Subscription,
    table_of,
)

ALL_TOPICS = "*"


@dataclass(frozen=True)
class DeliveryCounts:
    """Where a post's deliveries stand."""

    total: int = 0
    sent: int = 0
    pending: int = 0  # includes rows in flight ("sending")
    failed: int = 0
    blocked: int = 0  # skipped: the chat blocked the bot or the bot left it
    deleted: int = 0


class Outcome(NamedTuple):
    """What to write back on a delivery after an attempt.

    ``status`` pending means "try again at ``next_attempt_at``". A named tuple,
    like ``Claimed``: one is made per message, and a frozen dataclass is slow to make.
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
    post's topic or to every topic who receive the article's edition (see
    ``_receives_edition``); breaking news goes to every active target channel
    and every active reader with any subscription. Done in one
    INSERT ... SELECT, so no chat is loaded into Python; idempotent. The
    caller commits (with the post, when it is new).
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
        article = await session.get(Article, post.article_id) if post.article_id else None
        condition = or_(
            Chat.id.in_(select(FeedChannel.chat_id).where(FeedChannel.feed_id == post.feed_id)),
            and_(
                Chat.kind == "private",
                Chat.id.in_(select(Subscription.chat_id).where(Subscription.topic.in_(topics))),
                _receives_edition(article.language if article else None),
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


def _receives_edition(edition: str | None) -> Any:
    """Readers who receive ``edition``: they chose it, or chose none and it is their default.

    The default is the edition in the reader's interface language when the
    outlet publishes one, else every edition. An article of no known edition
    goes to every reader.
    """
    if edition is None:
        return literal(True)
    published = select(Feed.edition).where(Feed.enabled.is_(True), Feed.edition.is_not(None))
    chose = select(ChatEdition.chat_id).where(ChatEdition.language == edition)
    chose_any = exists().where(ChatEdition.chat_id == Chat.id)
    default = or_(Chat.language == edition, Chat.language.not_in(published))
    return or_(Chat.id.in_(chose), and_(~chose_any, default))


def _record_statement() -> Any:
    table = table_of(Delivery)
    return (
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


# Built once, as the claim is (storage/claims.py): it runs ten times a second in a
# broadcast, and its rows are laid out as the driver takes them (storage/bulk.py).
# An Outcome is the row itself: these are its fields, in order.
_RECORD = DriverStatement(
    _record_statement(),
    ("b_id", "b_status", "b_attempts", "b_next", "b_message_id", "b_with_photo", "b_error",
     "b_sent_at"),
)  # fmt: skip


async def record_outcomes(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Write back many attempts in one executemany; only rows still in flight are touched."""
    if not outcomes:
        return
    await _RECORD.execute_many(session, outcomes)
    await session.commit()


async def skip_chat_rows(session: AsyncSession, chat_id: int, reason: str) -> int:
    """A chat no longer reachable: its pending rows are skipped, not sent."""
    statement = (
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status == PENDING)
        .values(status=SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    await session.commit()
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
