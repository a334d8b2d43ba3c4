"""The breaking-post steps that only touch the database: publish once, recall once, look up.

Each state change is a single conditional UPDATE in ``storage.posts`` (two
presses of Publish, or of Recall, cannot both win) and leaves an entry in the
audit log. Nothing here calls Telegram: the delivery worker sends what
``publish`` queues, and ``bot.newsroom.breaking.changes`` deletes what
``start_recall`` marks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import telemetry
from bot.newsroom.breaking.texts import Answer, draft_refusal
from bot.newsroom.services import Services
from storage import audit
from storage import posts as breaking_posts
from storage.db import utcnow
from storage.deliveries import enqueue_post, post_progress
from storage.models import Post

log = logging.getLogger(__name__)


async def publish(services: Services, post_id: int, user_id: int) -> Answer:
    """Publish a draft once: queue it to every channel and reader, record who did it."""
    now = utcnow()
    ttl = timedelta(seconds=services.settings.breaking.preview_ttl)
    async with services.sessions() as session:
        post = await breaking_posts.breaking_post(session, post_id)
        refusal = draft_refusal(post, now, ttl)
        if refusal is not None or post is None:
            return Answer(False, refusal or "This preview no longer exists.")
        settled = await breaking_posts.settle_draft(
            session, post_id, breaking_posts.PUBLISHED, created_after=now - ttl, now=now
        )
        if not settled:  # another press got there first
            await session.rollback()
            return Answer(False, "This post has already been published.")
        await session.refresh(post)
        chats = await enqueue_post(session, post)  # commits the publication with its queue
        await audit.record(
            session, audit.PUBLISHED, user_id=user_id, post_id=post_id, chats=chats, at=now
        )
        await session.commit()
    services.wake_delivery()
    telemetry.count_breaking()
    log.info("breaking published post_id=%s by=%s chats=%s", post_id, user_id, chats)
    return Answer(
        True,
        "Publishing to {chats} chat.",
        {"chats": chats},
        plural="Publishing to {chats} chats.",
        count=chats,
    )


@dataclass(frozen=True)
class Candidate:
    """A published breaking post an editor may recall."""

    post_id: int
    text: str
    published_at: datetime | None
    chats: int


async def recall_candidates(services: Services, limit: int = 10) -> list[Candidate]:
    """The newest published breaking posts, newest first, with how many chats hold each."""
    async with services.sessions() as session:
        found = await breaking_posts.recent_published(session, limit)
        result = []
        for post in found:
            counts = await post_progress(session, post.id)
            result.append(Candidate(post.id, post.text or "", post.published_at, counts.sent))
    return result


async def start_recall(services: Services, post_id: int) -> tuple[Answer, int]:
    """Mark the post recalled (once) and stop what has not been sent yet (how many: returned)."""
    async with services.sessions() as session:
        if not await breaking_posts.mark_recalled(session, post_id):
            await session.rollback()
            return Answer(False, "This post has already been recalled."), 0
        dropped = await breaking_posts.stop_pending(session, post_id, "recalled before sending")
        await session.commit()
    return Answer(True, "Recalling…"), dropped


async def latest_post(services: Services) -> Post | None:
    """The breaking post a /correct is about: the most recent published one."""
    async with services.sessions() as session:
        return await breaking_posts.latest_breaking(session)
