"""Breaking posts: drafts, their one-time publication, recall and correction.

State changes are single conditional UPDATEs (``... WHERE state = 'draft'``),
so a preview is published at most once however many presses, replays or
processes race for it: exactly one UPDATE matches the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import BREAKING_PRIORITY
from storage.models import Delivery, Post

BREAKING = "breaking"
DRAFT = "draft"
PUBLISHED = "published"
CANCELLED = "cancelled"
RECALLED = "recalled"


async def create_draft(
    session: AsyncSession,
    *,
    text: str,
    url: str | None,
    author_id: int,
    now: datetime,
    photo_file_id: str | None = None,
    image_url: str | None = None,
) -> Post:
    """A new breaking draft, not yet visible to anyone but its author."""
    post = Post(
        kind=BREAKING,
        state=DRAFT,
        priority=BREAKING_PRIORITY,
        text=text,
        url=url,
        image_url=image_url,
        photo_file_id=photo_file_id,
        author_id=author_id,
        created_at=now,
        sort_at=now,
    )
    session.add(post)
    await session.flush()
    return post


async def breaking_post(session: AsyncSession, post_id: int) -> Post | None:
    """A breaking post by id (None for an article's post or an unknown id)."""
    post = await session.get(Post, post_id, populate_existing=True)
    return post if post is not None and post.kind == BREAKING else None


async def set_preview_message(
    session: AsyncSession, post_id: int, chat_id: int, message_id: int
) -> None:
    """Remember where the author's preview is, to show progress there."""
    await session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(preview_chat_id=chat_id, preview_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


async def settle_draft(
    session: AsyncSession, post_id: int, state: str, *, created_after: datetime, now: datetime
) -> bool:
    """Move a live draft to ``state`` (published or cancelled); False if it is not one any more.

    ``created_after``: drafts older than this have expired and are left alone.
    Publishing also stamps the publication time, which orders it in every chat.
    """
    values: dict[str, object] = {"state": state}
    if state == PUBLISHED:
        values.update(published_at=now, sort_at=now)
    result = await session.execute(
        update(Post)
        .where(
            Post.id == post_id,
            Post.kind == BREAKING,
            Post.state == DRAFT,
            Post.created_at >= created_after,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def recent_published(session: AsyncSession, limit: int = 10) -> Sequence[Post]:
    """The newest published (not recalled) breaking posts, newest first."""
    query = (
        select(Post)
        .where(Post.kind == BREAKING, Post.state == PUBLISHED)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def broadcasts_in_flight(
    session: AsyncSession, *, published_after: datetime
) -> Sequence[Post]:
    """Published breaking posts with deliveries still open and a known preview message.

    What a restart finds mid-broadcast: their progress is still the editor's to see.
    """
    still_open = exists().where(
        Delivery.post_id == Post.id, Delivery.status.in_(("pending", "sending"))
    )
    query = (
        select(Post)
        .where(
            Post.kind == BREAKING,
            Post.state == PUBLISHED,
            Post.published_at >= published_after,
            Post.preview_chat_id.is_not(None),
            Post.preview_message_id.is_not(None),
            still_open,
        )
        .order_by(Post.id)
    )
    return (await session.scalars(query)).all()


async def latest_breaking(session: AsyncSession) -> Post | None:
    """The most recent published breaking post, if any."""
    found = await recent_published(session, limit=1)
    return found[0] if found else None


async def mark_recalled(session: AsyncSession, post_id: int) -> bool:
    """Published → recalled, once; False if it was not published (already recalled, a draft)."""
    result = await session.execute(
        update(Post)
        .where(Post.id == post_id, Post.kind == BREAKING, Post.state == PUBLISHED)
        .values(state=RECALLED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def stop_pending(
    session: AsyncSession, post_id: int, reason: str, *, in_flight: bool = False
) -> int:
    """A recalled post's deliveries not yet sent are dropped (marked deleted, never sent).

    ``in_flight``: rows a worker claimed and never settled are dropped too, so a
    crashed worker's rows are not requeued and sent after the recall.
    """
    statuses = ("pending", "sending") if in_flight else ("pending",)
    result = await session.execute(
        update(Delivery)
        .where(Delivery.post_id == post_id, Delivery.status.in_(statuses))
        .values(status="deleted", last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def in_flight(session: AsyncSession, post_id: int) -> int:
    """Deliveries of the post a worker is sending right now."""
    query = select(func.count()).where(Delivery.post_id == post_id, Delivery.status == "sending")
    return int(await session.scalar(query) or 0)


async def mark_deleted(session: AsyncSession, delivery_ids: Sequence[int]) -> None:
    """These deliveries' messages were removed from their chats."""
    for start in range(0, len(delivery_ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = list(delivery_ids[start : start + 500])
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(chunk))
            .values(status="deleted")
            .execution_options(synchronize_session=False)
        )


async def set_text(session: AsyncSession, post_id: int, text: str, url: str | None) -> None:
    """A corrected post: what it says now (and chats it has yet to reach get this)."""
    await session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(text=text, url=url)
        .execution_options(synchronize_session=False)
    )
