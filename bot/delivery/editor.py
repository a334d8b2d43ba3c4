"""Edits of sent copies after their article changed at the source, through the delivery's pace.

The delivery worker runs an ``Editor`` beside its claim loop. It claims due
rows of the edit queue (``storage.edits``), renders the post as it is now for
each chat's language, and calls editMessageText, editMessageCaption or (the
photo itself changed) editMessageMedia, each call in its slot of the shared
limiter and within the chat's own limit. What Telegram answered is read by the
outcome table, as for a send: a 429 pauses every sender, a chat that blocked
the bot is marked, a transient failure is retried. Each row is settled once
(an edit in flight when a process died is claimed again after a while, and
"message is not modified" then means the first attempt landed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import telemetry
from bot.delivery.content import copy_language, post_content
from bot.delivery.courier import telegram_target
from bot.delivery.limiter import RateLimiter
from bot.delivery.outcomes import Action, Backoff, classify
from bot.delivery.sender import PostState, Rendered
from config.topics import TopicNames
from storage import audit
from storage import deliveries as queue
from storage import edits as edit_queue
from storage.db import utcnow
from storage.edits import ClaimedEdit
from storage.models import Article, Feed, Post

log = logging.getLogger(__name__)

EDIT_WINDOW = timedelta(hours=48)  # after this a copy is left as it is (the rule)
EDIT_BATCH = 16  # edits claimed at once
EDIT_IDLE = 1.0  # seconds between looks at the edit queue when nothing was due
CLAIM_TIMEOUT = timedelta(minutes=5)  # an edit in flight this long was a dead process's
CHAT_WAIT_INLINE = 1.0  # a chat ready within this many seconds is waited for, not requeued


def copy_expired(sent_at: datetime | None, now: datetime) -> bool:
    """A copy older than 48 hours is not edited."""
    return sent_at is None or now - sent_at >= EDIT_WINDOW


def edit_method(with_photo: bool, new_photo: bool, has_photo: bool) -> str:
    """The Bot API method for a copy: its kind decides (a text message cannot gain a photo)."""
    if not with_photo:
        return "edit_Message_Text"
    if new_photo and has_photo:
        return "edit_Message_Media"
    return "edit_Message_Caption"


def not_modified(exc: BaseException) -> bool:
    return "message is not modified" in str(getattr(exc, "message", "") or exc).lower()


class Editor:
    """Makes the queued edits; one per worker, sharing its limiter and database lock."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        db: asyncio.Lock,
        limiter: RateLimiter,
        *,
        worker_id: str,
        default_language: str,
        topic_names: TopicNames,
        max_attempts: int,
        backoff: Backoff,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._db = db
        self._limiter = limiter
        self._worker_id = worker_id
        self._default_language = default_language
        self._topic_names = topic_names
        self._max_attempts = max_attempts
        self._backoff = backoff
        self.edited = 0  # copies Telegram changed, since start

    async def loop(self, stop: asyncio.Event) -> None:
        """Make edits as they fall due until ``stop``."""
        while not stop.is_set():
            try:
                claimed = await self.run_due()
            except Exception:  # the database went away: the next look retries
                log.exception("edit loop failed")
                claimed = 0
            if claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), EDIT_IDLE)

    async def drain(self, deadline: float | None) -> None:
        """Make every edit due now or before ``deadline`` (monotonic), retries included."""
        while deadline is None or time.monotonic() < deadline:
            if await self.run_due() > 0:
                continue
            async with self._db, self._sessions() as session:
                due = await edit_queue.next_edit_due(session)
            if due is None:
                return
            wait = max((due - utcnow()).total_seconds(), 0.05)
            if deadline is not None and time.monotonic() + wait > deadline:
                return
            await asyncio.sleep(wait)

    async def run_due(self) -> int:
        """Claim one batch of due edits and make them; return how many were claimed."""
        now = utcnow()
        async with self._db, self._sessions() as session:
            await edit_queue.skip_unsent(session, now)
            await session.commit()
            claimed = await edit_queue.claim_edits(
                session, self._worker_id, EDIT_BATCH, now=now, stale_before=now - CLAIM_TIMEOUT
            )
            posts = await self._posts(session, {edit.post_id for edit in claimed})
        await asyncio.gather(*(self._edit(edit, posts.get(edit.post_id)) for edit in claimed))
        for post_id, revision in {(edit.post_id, edit.revision) for edit in claimed}:
            await self._annotate_when_done(post_id, revision)
        return len(claimed)

    async def _posts(self, session: AsyncSession, post_ids: set[int]) -> dict[int, PostState]:
        """The posts as they are now (never the worker's cache: it may hold the old text)."""
        statement = (
            select(Post, Article, Feed)
            .outerjoin(Article, Article.id == Post.article_id)
            .outerjoin(Feed, Feed.id == Post.feed_id)
            .where(Post.id.in_(post_ids))
        )
        return {
            post.id: PostState(
                post_id=post.id,
                content=post_content(post, article, feed, self._topic_names),
                breaking=False,
            )
            for post, article, feed in (await session.execute(statement)).all()
        }

    async def _edit(self, edit: ClaimedEdit, post: PostState | None) -> None:
        now = utcnow()
        target = telegram_target(edit.telegram_id, edit.username)
        if post is None or target is None:
            await self._settle(edit, queue.FAILED, error="post or chat not found")
            return
        if copy_expired(edit.sent_at, now):
            log.info(
                "copy older than 48 h, not edited post_id=%s chat_id=%s", edit.post_id, edit.chat_id
            )
            await self._settle(edit, edit_queue.EXPIRED)
            return
        wait = self._limiter.chat_ready_in(edit.chat_id, edit.chat_kind)
        if wait > CHAT_WAIT_INLINE:
            await self._settle(edit, queue.PENDING, next_at=now + timedelta(seconds=wait))
            return
        if wait > 0:
            await asyncio.sleep(wait)
        turn = await self._limiter.acquire()
        if turn is None:  # stopping: back to the queue
            await self._settle(edit, queue.PENDING)
            return
        self._limiter.departed(turn)
        self._limiter.record_send(edit.chat_id, edit.chat_kind)
        try:
            await self._call(edit, target, post)
        except TelegramError as exc:
            await self._failed(edit, exc)
            return
        self._limiter.answered(turn)  # a late answer keeps the edit in the window longer
        await self._settle(edit, edit_queue.EDITED)

    async def _call(self, edit: ClaimedEdit, target: int | str, post: PostState) -> None:
        language = copy_language(
            edit.chat_kind, edit.language, post.content, self._default_language
        )
        method = edit_method(edit.with_photo, edit.new_photo, bool(post.content.image_url))
        rendered = post.rendered(language, as_caption=edit.with_photo)
        kwargs: dict[str, Any] = {"chat_id": target, "message_id": edit.message_id}
        if rendered.markup is not None:
            kwargs["reply_markup"] = rendered.markup
        kwargs.update(_content(method, rendered, post))
        await self._bot.do_api_request(method, api_kwargs=kwargs, return_type=None)

    async def _failed(self, edit: ClaimedEdit, exc: TelegramError) -> None:
        """Carry out the outcome table's action for a failed edit."""
        if not_modified(exc):
            # The copy says it already: sent after the change, or an earlier attempt landed.
            await self._settle(
                edit, edit_queue.EDITED if edit.attempts > 1 else edit_queue.UNCHANGED
            )
            return
        answer, now = classify(exc), utcnow()
        if answer.action in (Action.WAIT_AND_RETRY, Action.HALT):
            pause = answer.retry_after or 1.0
            self._limiter.pause(pause)
            next_at = now + timedelta(seconds=pause)
            await self._settle(edit, queue.PENDING, error=answer.detail, next_at=next_at)
        elif answer.action is Action.CHAT_GONE:
            async with self._db, self._sessions() as session:
                await queue.mark_chat_gone(session, edit.chat_id, answer.detail)
            await self._settle(edit, queue.SKIPPED, error=answer.detail)
        elif answer.action is Action.MIGRATED and answer.new_chat_id is not None:
            async with self._db, self._sessions() as session:
                await queue.move_chat(session, edit.chat_id, answer.new_chat_id)
            await self._settle(edit, queue.PENDING, error=answer.detail)
        elif answer.action is Action.RETRY and edit.attempts < self._max_attempts:
            next_at = now + timedelta(seconds=self._backoff.delay(edit.attempts))
            await self._settle(edit, queue.PENDING, error=answer.detail, next_at=next_at)
        else:
            log.warning(
                "edit failed post_id=%s chat_id=%s error=%r",
                edit.post_id,
                edit.chat_id,
                answer.detail,
            )
            await self._settle(edit, queue.FAILED, error=answer.detail)

    async def _settle(
        self,
        edit: ClaimedEdit,
        status: str,
        *,
        error: str | None = None,
        next_at: datetime | None = None,
    ) -> None:
        async with self._db, self._sessions() as session:
            settled = await edit_queue.settle_edit(
                session, edit.id, status, now=utcnow(), error=error, next_at=next_at
            )
        if settled and status == edit_queue.EDITED:
            self.edited += 1
            telemetry.count_edit()

    async def _annotate_when_done(self, post_id: int, revision: int) -> None:
        """Once a revision's edits are all settled, its audit entry says how they went."""
        async with self._db, self._sessions() as session:
            tally = await edit_queue.revision_tally(session, post_id, revision)
            if any(tally.get(status, 0) for status in edit_queue.OPEN):
                return
            parts = " ".join(f"{status}={count}" for status, count in sorted(tally.items()))
            await audit.annotate(session, post_id, audit.UPDATED, f"revision={revision} {parts}")
            await session.commit()


def _content(method: str, rendered: Rendered, post: PostState) -> dict[str, Any]:
    """The new content's parameters for ``method``."""
    html_mode = ParseMode.HTML.value
    if method == "edit_Message_Text":
        content: dict[str, Any] = {"text": rendered.html, "parse_mode": html_mode}
        if rendered.link_url:
            content["link_preview_options"] = {"url": rendered.link_url}
        return content
    if method == "edit_Message_Media":
        media = {
            "type": "photo",
            "media": post.content.image_url,
            "caption": rendered.html,
            "parse_mode": html_mode,
        }
        return {"media": media}
    return {"caption": rendered.html, "parse_mode": html_mode}
