"""One delivery: a claimed row taken to its chat, and what Telegram answered made its outcome.

The courier waits for the chat's own limit, sends through the ``Sender``,
follows a group that became a supergroup, and carries out the outcome table's
action for a failed send (wait out a 429, mark the chat gone, retry with
backoff, or give up). Every result goes to the ledger; nothing here waits on
the database except a chat that is gone or migrated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import telemetry
from bot.delivery.content import copy_language
from bot.delivery.ledger import Ledger, WorkerStats, outcome
from bot.delivery.limiter import Departure, RateLimiter
from bot.delivery.outcomes import Action, Backoff, classify
from bot.delivery.sender import PostState, Sender
from storage import deliveries as queue
from storage.claims import Claimed
from storage.db import utcnow
from storage.deliveries import Outcome

log = logging.getLogger(__name__)


class Courier:
    """Takes claimed rows to their chats, one task per row; keeps the round trip's estimate."""

    def __init__(
        self,
        sender: Sender,
        limiter: RateLimiter,
        ledger: Ledger,
        stats: WorkerStats,
        sessions: async_sessionmaker[AsyncSession],
        db: asyncio.Lock,
        *,
        default_language: str,
        max_attempts: int,
        backoff: Backoff,
    ) -> None:
        self._sender = sender
        self.limiter = limiter
        self._record = ledger.record  # bound once: called for every row
        self.stats = stats
        self._sessions = sessions
        self._db = db  # the worker's: one database conversation at a time
        self._default_language = default_language
        self._max_attempts = max_attempts
        self._backoff = backoff
        self.latency = 0.1  # seconds, a running estimate of the Bot API round trip

    async def deliver(self, row: Claimed, post: PostState | None, turn: Departure) -> None:
        try:
            await self._deliver_once(row, post, turn)
        except Exception as exc:  # our own bookkeeping failed (the database): retry the row
            log.exception("delivery bookkeeping failed delivery_id=%s", row.id)
            attempts = row.attempts + 1
            next_at = utcnow() + timedelta(seconds=self._backoff.delay(attempts))
            self._record(outcome(row, queue.PENDING, attempts=1, next_at=next_at, error=repr(exc)))
            telemetry.count_delivery("retried", "bookkeeping")

    async def _deliver_once(self, row: Claimed, post: PostState | None, turn: Departure) -> None:
        if post is None:
            self._record(outcome(row, queue.FAILED, error="post not found"))
            self.stats.failed += 1
            telemetry.count_delivery("failed", "post_missing")
            return
        target = telegram_target(row.telegram_id, row.username)
        if target is None:
            self._record(outcome(row, queue.FAILED, error="chat has no id or username"))
            self.stats.failed += 1
            telemetry.count_delivery("failed", "no_chat")
            return
        first_turn: Departure | None = turn
        wait = self.limiter.chat_ready_in(row.chat_id, row.chat_kind)
        if wait > 0:
            await asyncio.sleep(wait)
            first_turn = await self.limiter.acquire()  # the turn taken before the wait is spent
            if first_turn is None:  # stopping: not sent, back to the queue
                self._record(outcome(row, queue.PENDING))
                return
        language = copy_language(row.chat_kind, row.language, post.content, self._default_language)
        for _migration in range(3):
            self.limiter.record_send(row.chat_id, row.chat_kind)
            started = time.monotonic()
            try:
                sent = await self._sender.send(target, language, post, turn=first_turn)
            except Exception as exc:
                self._observe(time.monotonic() - started)
                answer = classify(exc)
                if answer.action is Action.MIGRATED and answer.new_chat_id is not None:
                    await self._migrate(row, answer.new_chat_id)
                    target, first_turn = answer.new_chat_id, None
                    continue
                await self._failed(row, answer.action, answer.detail, answer.retry_after)
                return
            self._observe(time.monotonic() - started)
            now = utcnow()
            self._record(
                Outcome(
                    id=row.id,
                    status=queue.SENT,
                    attempts=row.attempts + 1,
                    next_attempt_at=now,
                    message_id=sent.message_id,
                    with_photo=sent.with_photo,
                    sent_at=now,
                )
            )
            self.stats.sent += 1
            telemetry.count_delivery("sent")
            return
        await self._failed(row, Action.FAILED, "chat migrated more than twice", None)

    def _observe(self, seconds: float) -> None:
        self.latency = 0.9 * self.latency + 0.1 * seconds

    async def _failed(
        self, row: Claimed, action: Action, detail: str, retry_after: float | None
    ) -> None:
        """Carry out the outcome table's action for a failed send."""
        now = utcnow()
        if action in (Action.WAIT_AND_RETRY, Action.HALT):
            pause = retry_after or 1.0
            self.limiter.pause(pause)
            self.stats.rate_limited += action is Action.WAIT_AND_RETRY
            if action is Action.WAIT_AND_RETRY:
                telemetry.count_rate_limited()
            telemetry.count_delivery("retried", action.value)
            # Not the row's fault: no attempt is spent.
            next_at = now + timedelta(seconds=pause)
            self._record(outcome(row, queue.PENDING, next_at=next_at, error=detail))
            return
        if action is Action.CHAT_GONE:
            async with self._db, self._sessions() as session:
                status = await queue.mark_chat_gone(session, row.chat_id, detail)
            log.info("chat unreachable chat_id=%s status=%s error=%r", row.chat_id, status, detail)
            self._record(outcome(row, queue.SKIPPED, attempts=1, error=detail))
            self.stats.skipped += 1
            telemetry.count_delivery("skipped", action.value)
            return
        attempts = row.attempts + 1
        if action is Action.RETRY and attempts < self._max_attempts:
            delay = self._backoff.delay(attempts)
            next_at = now + timedelta(seconds=delay)
            self._record(outcome(row, queue.PENDING, attempts=1, next_at=next_at, error=detail))
            self.stats.retried += 1
            telemetry.count_delivery("retried", action.value)
            return
        log.warning(
            "delivery failed delivery_id=%s post_id=%s chat_id=%s attempts=%s error=%r",
            row.id,
            row.post_id,
            row.chat_id,
            attempts,
            detail,
        )
        self._record(outcome(row, queue.FAILED, attempts=1, error=detail))
        self.stats.failed += 1
        telemetry.count_delivery("failed", action.value)

    async def _migrate(self, row: Claimed, new_telegram_id: int) -> None:
        log.info("chat migrated chat_id=%s new_telegram_id=%s", row.chat_id, new_telegram_id)
        async with self._db, self._sessions() as session:
            await queue.move_chat(session, row.chat_id, new_telegram_id)


def telegram_target(telegram_id: int | None, username: str | None) -> int | str | None:
    """How Telegram names a chat: its numeric id, else ``@username`` (named in settings)."""
    if telegram_id is not None:
        return telegram_id
    return f"@{username.lstrip('@')}" if username else None
