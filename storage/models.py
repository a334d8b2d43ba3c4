"""The schema. Every change here comes with an Alembic migration in ``migrations/``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, QueryableAttribute, mapped_column
from sqlalchemy.sql.elements import ColumnElement

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Timestamps are stored as naive UTC: SQLite has no time zones, and one rule
# for both back ends avoids comparing aware with naive values.
UtcDateTime = DateTime(timezone=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for statements built once (typed: mypy sees only a FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Feed(Base):
    """A feed and its polling state."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str | None] = mapped_column(String(256))
    title: Mapped[str | None] = mapped_column(String(512))
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    # entry <category> (folded) -> topic slug; None or empty: every entry gets ``topic``
    topic_map: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # The edition set in the settings; None: learnt from the feed's <language> when polled.
    language: Mapped[str | None] = mapped_column(String(8))
    # The edition in effect (``language``, else learnt); None until first known.
    edition: Mapped[str | None] = mapped_column(String(8))
    interval: Mapped[int] = mapped_column(Integer, default=300)
    backfill: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(16), default="admin")  # settings | admin
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    next_check_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    first_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FeedChannel(Base):
    """A channel that a feed posts to."""

    __tablename__ = "feed_channels"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )


class Article(Base):
    """An entry seen in a feed; ``key`` is its identity within the feed."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("feed_id", "key", name="uq_articles_feed_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(String(2048))
    image_credit: Mapped[str | None] = mapped_column(String(512))
    author: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # source changes


class Chat(Base):
    """A Telegram chat the bot knows: a reader's private chat, a channel or a group.

    ``id`` is ours and stable; ``telegram_id`` can change (a group migrates to
    a supergroup) and can be unknown while a channel is known only by name.
    """

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # private | channel | group | supergroup
    title: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | blocked | left
    is_target: Mapped[bool] = mapped_column(Boolean, default=False)  # a channel posts go to
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Subscription(Base):
    """A reader's topic; the topic ``*`` means every topic."""

    __tablename__ = "subscriptions"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChatEdition(Base):
    """An edition (en, ru, kk) a reader chose to receive; none chosen means the default."""

    __tablename__ = "chat_editions"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)


class ChatEvent(Base):
    """What happened to a chat and when: the history behind the stats."""

    __tablename__ = "chat_events"
    __table_args__ = (Index("ix_chat_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # joined | blocked | unblocked | left | forgot
    chat_kind: Mapped[str] = mapped_column(String(16), default="private")
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class Post(Base):
    """What is sent: an article, or an editor's breaking news."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # article | breaking
    state: Mapped[str] = mapped_column(String(16), default="published")
    # draft | published | cancelled | recalled
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), unique=True
    )
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    topic: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher goes first
    text: Mapped[str | None] = mapped_column(Text)  # breaking news as the editor wrote it
    url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))  # reused once Telegram has it
    photo_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    preview_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    preview_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    sort_at: Mapped[datetime] = mapped_column(UtcDateTime)  # publication order for each chat


# A delivery's status: open (pending, then sending while a worker has it in
# flight), then settled as one of the others.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
DELETED = "deleted"


def status_is(
    column: ColumnElement[str] | QueryableAttribute[str], status: str
) -> ColumnElement[bool]:
    """``column = 'status'``, the status written into the SQL rather than bound.

    The deliveries' status indexes hold only the rows of one status. SQLite
    uses such a partial index only for a query that repeats its condition as
    written, and PostgreSQL cannot use it in the generic plan of a prepared
    statement whose status is a parameter. Statuses are this module's
    constants, never input.
    """
    return column == literal_column(f"'{status}'")


class Delivery(Base):
    """One post to one chat: the queue and the ledger in one row."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("post_id", "chat_id", name="uq_deliveries_post_chat"),
        Index("ix_deliveries_chat", "chat_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    sort_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    with_photo: Mapped[bool | None] = mapped_column(Boolean)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def _partial(name: str, status: str, *columns: QueryableAttribute[Any]) -> Index:
    """An index over the deliveries of one status only, on both back ends.

    Made of the table's columns, it joins the table's indexes as it is made.
    """
    where = status_is(Delivery.status, status)
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


# Every status change moves a row in or out of these indexes rather than along
# them, and settled rows (nearly all of the ledger) are in none of them: each
# stays the size of the open queue, so a claim and an outcome touch small trees
# (bench/RESULTS.md, ninth pass).
# The claim's order (storage.claims): read a batch, never sort the queue.
_partial("ix_deliveries_queue", PENDING, Delivery.priority, Delivery.sort_at, Delivery.id)
# When the queue next has work (storage.claims.next_due_at).
_partial("ix_deliveries_due", PENDING, Delivery.next_attempt_at)
# The rows in flight, by worker and claim (the claim's chats, the release of claims).
_partial("ix_deliveries_claims", SENDING, Delivery.claimed_by, Delivery.claimed_at)
# The failures the stats count and report.
_partial("ix_deliveries_failed", FAILED, Delivery.created_at)


class Role(Base):
    """An admin or editor added in Telegram or by the CLI (the file's are added at start)."""

    __tablename__ = "roles"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)  # admin | editor
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEntry(Base):
    """Who did what to which post, and how many chats it reached."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    chats: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


class Alert(Base):
    """An alert that admins were told about, so they are told once and once on recovery."""

    __tablename__ = "alerts"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # feed:3, channel:7
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    detail: Mapped[str | None] = mapped_column(Text)


class Edit(Base):
    """One sent copy of an article's post brought up to one revision of the article.

    The edit queue beside the delivery queue: a row per (copy, revision), so a
    change is edited once in each chat, across restarts and processes.
    """

    __tablename__ = "edits"
    __table_args__ = (
        UniqueConstraint("delivery_id", "revision", name="uq_edits_delivery_revision"),
        Index("ix_edits_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("deliveries.id", ondelete="CASCADE"),
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    new_photo: Mapped[bool] = mapped_column(Boolean, default=False)  # the photo itself changed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # pending | sending | edited | unchanged | failed | skipped | expired | superseded
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
