"""The delivery worker: claims due rows from the database, sends them within Telegram's limits.

One loop claims a batch of due rows (about a second's worth at the allowed
rate), and for each row takes a slot in the global pace and starts a send.
Sends run concurrently, so the whole rate is used whatever the latency (at
rate r and round trip t about r × t are in flight). What Telegram answered is
written back in bulk every FLUSH_EVERY seconds; the next batch is claimed
while the current one is half dispatched. On stop, sends already started
finish and are recorded; rows claimed but not started go back to the queue.

A crash between Telegram's answer and its recording leaves rows "sending";
``recover`` (at the next start, of this or any process) puts back the rows of
workers that died and reports how many: those, and only those, may reach
their chat twice. While it has claims, a worker holds a PostgreSQL advisory
lock named after its id, which is how the others tell that it is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot

from bot.delivery.content import post_content
from bot.delivery.limiter import Departure, RateLimiter, allowed_rate
from bot.delivery.outcomes import Action, Backoff, classify
from bot.delivery.sender import PostState, Sender
from bot.feeds.fetcher import Fetcher
from config.settings import Settings
from storage import claims
from storage import deliveries as queue
from storage.claims import Claimed
from storage.db import utcnow
from storage.deliveries import Outcome
from storage.leader import WORKERS_NAMESPACE, LeaderLock, count_workers, worker_lock_key
from storage.models import Article, Feed, Post

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died: any live send has long
# finished or timed out by then.
STALE_CLAIM = timedelta(minutes=10)
DEAD_CHECK_EVERY = 60.0  # seconds between looks for rows held by workers that died
# Several processes split delivery.rate evenly: each counts the live workers this
# often, and a newcomer waits JOIN_WAIT before its first send so the others slow first.
RATE_SHARE_EVERY = 0.25
JOIN_WAIT = 2 * RATE_SHARE_EVERY
IDLE_POLL = 2.0  # seconds between looks at the queue when nothing was woken
FLUSH_EVERY = 0.1  # seconds between bulk writes of outcomes (at most this much is unrecorded)
CHAT_WAIT_INLINE = 1.0  # a chat ready within this many seconds is waited for, not requeued
POST_CACHE = 64  # posts kept rendered in memory


@dataclass(frozen=True)
class DrainReport:
    """What one drain did."""

    sent: int
    failed: int
    skipped: int
    retried: int
    rate_limited: int
    remaining: int  # rows still pending or in flight when the drain returned


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    rate_limited: int = 0
    requeued: int = 0


class DeliveryWorker:
    """Sends queued deliveries; several workers (processes) may share one PostgreSQL."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        fetcher: Fetcher,
        *,
        worker_id: str,
    ) -> None:
        delivery = settings.delivery
        self.worker_id = worker_id
        self._sessions = sessions
        self._settings = settings
        self._default_language = settings.post.language
        self._max_attempts = delivery.max_attempts
        self._rate = allowed_rate(delivery.rate, paid_broadcast=delivery.paid_broadcast)
        self._batch = max(1, min(delivery.batch_size, math.ceil(self._rate)))
        self._min_in_flight = delivery.concurrency
        self._backoff = Backoff(
            base=delivery.backoff_base, max_delay=max(delivery.backoff_max, delivery.backoff_base)
        )
        self.limiter = RateLimiter(self._rate)
        self._sender = Sender(
            bot,
            fetcher,
            self.limiter,
            paid_broadcast=delivery.paid_broadcast,
            remember_photo=self._remember_photo,
        )
        self.stats = WorkerStats()
        self._posts: dict[int, PostState] = {}
        self._outcomes: list[Outcome] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._task_done = asyncio.Event()
        self._wake = asyncio.Event()
        self._db = asyncio.Lock()  # one database conversation at a time from this worker
        self._latency = 0.1  # seconds, a running estimate of the Bot API round trip
        self._next_batch: asyncio.Task[list[Claimed]] | None = None
        self._liveness: LeaderLock | None = None
        self._dead_check_at = 0.0

    # -- public ---------------------------------------------------------------
    def wake(self) -> None:
        """New rows were enqueued: look at the queue now rather than at the next idle poll."""
        self._wake.set()

    async def recover(self) -> int:
        """Put back rows left in flight by workers that died (a crash); count and log them.

        Those rows may have reached their chats already: they, and only they,
        can repeat. A worker is known dead when its PostgreSQL liveness lock is
        free (SQLite: when it was this host's process and is gone), or when its
        claim is older than STALE_CLAIM.
        """
        rows = await self._release_dead_claims(include_own=True)
        for delivery_id, post_id, chat_id in rows:
            log.warning(
                "in flight at a crash, may repeat delivery_id=%s post_id=%s chat_id=%s",
                delivery_id,
                post_id,
                chat_id,
            )
        if rows:
            log.warning(
                "recovered in-flight deliveries count=%s worker=%s", len(rows), self.worker_id
            )
        return len(rows)

    async def _release_dead_claims(self, *, include_own: bool) -> list[tuple[int, int, int]]:
        engine = self._sessions.kw.get("bind")
        async with self._db, self._sessions() as session:
            owners = await claims.claim_owners(session)
        dead: list[str] = []
        for owner in owners:
            if owner == self.worker_id:
                if include_own:  # our id, from before a restart: nothing of ours is in flight yet
                    dead.append(owner)
            elif await self._is_dead(engine, owner):
                dead.append(owner)
        async with self._db, self._sessions() as session:
            return await claims.release_claims(session, dead, utcnow() - STALE_CLAIM)

    async def _is_dead(self, engine: AsyncEngine | None, owner: str) -> bool:
        if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
            await self._hold_liveness(engine)
            probe = LeaderLock(engine, worker_lock_key(owner), namespace=WORKERS_NAMESPACE)
            if not await probe.try_acquire():
                return False  # its holder is alive
            await probe.release()
            return True
        # SQLite serves the processes of one host: a worker id "host:pid" whose process
        # is gone is dead; any other id is from a process that cannot share this file now.
        host, _, pid = owner.rpartition(":")
        if host == socket.gethostname() and pid.isdigit():
            return not _process_alive(int(pid))
        return True

    async def _take_over_dead_claims(self) -> None:
        """Now and then, requeue what a worker on another machine left when it died."""
        now = time.monotonic()
        if now < self._dead_check_at:
            return
        self._dead_check_at = now + DEAD_CHECK_EVERY
        rows = await self._release_dead_claims(include_own=False)
        if rows:
            log.warning("requeued deliveries of a dead worker count=%s", len(rows))

    async def _hold_liveness(self, engine: AsyncEngine) -> None:
        """Hold our own liveness lock, so that other workers see this one alive."""
        if self._liveness is None:
            self._liveness = LeaderLock(
                engine, worker_lock_key(self.worker_id), namespace=WORKERS_NAMESPACE
            )
        if not self._liveness.is_leader and await self._liveness.try_acquire():
            # Joining: let the others see us and slow down before we send anything.
            await self._share_rate(engine)
            await asyncio.sleep(JOIN_WAIT)
            await self._share_rate(engine)

    async def _share_rate(self, engine: AsyncEngine) -> None:
        """The bot's rate is for the token, not the process: take our share of it."""
        workers = await count_workers(engine)
        self.limiter.set_rate(self._rate / max(1, workers))

    async def _share_rate_loop(self) -> None:
        engine = self._sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            return
        while True:
            await asyncio.sleep(RATE_SHARE_EVERY)
            try:
                await self._share_rate(engine)
            except Exception:
                log.exception("could not count the delivery workers")

    async def close(self) -> None:
        """Let go of the liveness lock: nothing of ours is in flight any more."""
        if self._liveness is not None:
            await self._liveness.release()
            self._liveness = None

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; then finish what is in flight and leave the rest queued."""
        flusher = asyncio.create_task(self._flush_loop())
        sharer = asyncio.create_task(self._share_rate_loop())
        interrupter = asyncio.create_task(self._interrupt_on(stop))
        failures = 0
        try:
            while not stop.is_set():
                try:
                    claimed = await self._pump(stop)
                    if claimed == 0:
                        await self._idle(stop, IDLE_POLL)
                        await self._take_over_dead_claims()
                    failures = 0
                except Exception:  # the database went away: keep the bot up, try again
                    failures += 1
                    pause = self._backoff.delay(min(failures, 8))
                    log.exception("delivery loop failed, retrying in %.1fs", pause)
                    await self._idle(stop, pause)
        finally:
            await self._wind_down(flusher, interrupter, sharer)
            self.limiter.resume()

    async def _wind_down(self, flusher: asyncio.Task[None], *helpers: asyncio.Task[None]) -> None:
        """Stop the helpers, hand back claims not yet started, record every outcome, close."""
        for helper in helpers:
            await _cancelled(helper)
        await self._return_next_batch()
        await self._settle()
        await _cancelled(flusher)  # the last outcomes are flushed below, not mid-write
        await self._flush()
        await self.close()

    async def _interrupt_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.limiter.interrupt()  # no send waits out a long 429 pause once we stop

    async def drain(self, timeout: float | None = None) -> DrainReport:  # noqa: ASYNC109
        """Send everything due now, retrying with backoff while ``timeout`` allows; then report.

        ``timeout`` is part of the contract (the CLI's ``poll --once``): retries
        that fall due after it stay queued instead of being cut off mid-send.
        """
        start = WorkerStats(**vars(self.stats))
        deadline = None if timeout is None else time.monotonic() + timeout
        never = asyncio.Event()
        flusher = asyncio.create_task(self._flush_loop())
        sharer = asyncio.create_task(self._share_rate_loop())
        try:
            while deadline is None or time.monotonic() < deadline:
                if await self._pump(never, deadline) > 0:
                    continue
                await self._settle()
                await self._flush()
                wait = await self._until_next_due()
                if wait is None:
                    break
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
        finally:
            await self._wind_down(flusher, sharer)
        async with self._db, self._sessions() as session:
            remaining = await claims.count_open(session)
        end = self.stats
        return DrainReport(
            sent=end.sent - start.sent,
            failed=end.failed - start.failed,
            skipped=end.skipped - start.skipped,
            retried=end.retried - start.retried,
            rate_limited=end.rate_limited - start.rate_limited,
            remaining=remaining,
        )

    # -- the loop -------------------------------------------------------------
    async def _pump(self, stop: asyncio.Event, deadline: float | None = None) -> int:
        """Start the sends of one claimed batch; return how many rows were claimed.

        The next batch is claimed while this one is half dispatched, so the
        pace never waits for the database.
        """
        pending, self._next_batch = self._next_batch, None
        rows = await pending if pending is not None else await self._claim()
        for index, row in enumerate(rows):
            if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                self._requeue(rows[index:])
                break
            if index == len(rows) // 2 and self._next_batch is None:
                self._next_batch = asyncio.create_task(self._claim())
            if self._held(row):
                continue
            await self._room()
            turn = await self.limiter.acquire()
            if turn is None:  # stopped (during a long 429 pause): the rest stays queued
                self._requeue(rows[index:])
                break
            self._start(row, turn)
        return len(rows)

    async def _claim(self) -> list[Claimed]:
        engine = self._sessions.kw.get("bind")
        if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
            await self._hold_liveness(engine)  # before any claim: others must see us alive
        async with self._db, self._sessions() as session:
            rows = await claims.claim_due(session, self.worker_id, self._batch)
            if rows:
                await self._load_posts(session, {row.post_id for row in rows})
        return rows

    async def _return_next_batch(self) -> None:
        """A batch claimed ahead but not started goes back to the queue."""
        pending, self._next_batch = self._next_batch, None
        if pending is not None:
            self._requeue(await pending)

    def _held(self, row: Claimed) -> bool:
        """A row that cannot go now is answered at once (skipped, or back to the queue)."""
        now = utcnow()
        if row.chat_status != "active":
            self._record(self._outcome(row, queue.SKIPPED, error=f"chat is {row.chat_status}"))
            self.stats.skipped += 1
            return True
        wait = self.limiter.chat_ready_in(row.chat_id, row.chat_kind)
        if wait > CHAT_WAIT_INLINE:
            # A channel that had its 20 messages this minute: back to the queue until then.
            self._record(self._outcome(row, queue.PENDING, next_at=now + timedelta(seconds=wait)))
            self.stats.requeued += 1
            return True
        return False

    def _start(self, row: Claimed, turn: Departure) -> None:
        # The post is looked up now: the cache may drop it before the task runs.
        task = asyncio.create_task(self._deliver(row, self._posts.get(row.post_id), turn))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._task_done.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task crashed", exc_info=task.exception())

    async def _room(self) -> None:
        """Wait until fewer sends are in flight than the rate and latency call for."""
        while len(self._tasks) >= self._in_flight_cap():
            self._task_done.clear()
            await self._task_done.wait()

    def _in_flight_cap(self) -> int:
        # Little's law: rate × round trip requests are in flight at full speed; twice that
        # leaves room for slow answers without letting a stalled API pile up unbounded.
        return max(self._min_in_flight, math.ceil(self._rate * self._latency * 2) + 1)

    async def _settle(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _idle(self, stop: asyncio.Event, longest: float) -> None:
        wait = await self._until_next_due()
        wait = longest if wait is None else min(max(wait, 0.05), longest)
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        self._wake.clear()

    async def _until_next_due(self) -> float | None:
        """Seconds until a pending row is due (0 if one is due now), None if nothing is open."""
        async with self._db, self._sessions() as session:
            due = await claims.next_due_at(session)
            if due is None:
                if await claims.count_open(session) == 0:
                    return None
                return 0.2  # rows in flight elsewhere: look again shortly
        seconds = (due - utcnow()).total_seconds()
        # A due row that was not claimed waits for an earlier row of its chat.
        return max(seconds, 0.05 if self._tasks or self._outcomes else 0.2)

    # -- one send -------------------------------------------------------------
    async def _deliver(self, row: Claimed, post: PostState | None, turn: Departure) -> None:
        try:
            await self._deliver_once(row, post, turn)
        except Exception as exc:  # our own bookkeeping failed (the database): retry the row
            log.exception("delivery bookkeeping failed delivery_id=%s", row.id)
            attempts = row.attempts + 1
            next_at = utcnow() + timedelta(seconds=self._backoff.delay(attempts))
            self._record(
                self._outcome(row, queue.PENDING, attempts=1, next_at=next_at, error=repr(exc))
            )

    async def _deliver_once(self, row: Claimed, post: PostState | None, turn: Departure) -> None:
        if post is None:
            self._record(self._outcome(row, queue.FAILED, error="post not found"))
            self.stats.failed += 1
            return
        target = telegram_target(row.telegram_id, row.username)
        if target is None:
            self._record(self._outcome(row, queue.FAILED, error="chat has no id or username"))
            self.stats.failed += 1
            return
        first_turn: Departure | None = turn
        wait = self.limiter.chat_ready_in(row.chat_id, row.chat_kind)
        if wait > 0:
            await asyncio.sleep(wait)
            first_turn = await self.limiter.acquire()  # the turn taken before the wait is spent
            if first_turn is None:  # stopping: not sent, back to the queue
                self._record(self._outcome(row, queue.PENDING))
                return
        # Readers chose their language; channels and groups speak the outlet's.
        language = (row.language if row.chat_kind == "private" else None) or self._default_language
        for _migration in range(3):
            self.limiter.record_send(row.chat_id, row.chat_kind)
            started = time.monotonic()
            try:
                sent = await self._sender.send(target, language, post, turn=first_turn)
            except Exception as exc:
                self._observe(time.monotonic() - started)
                outcome = classify(exc)
                if outcome.action is Action.MIGRATED and outcome.new_chat_id is not None:
                    await self._migrate(row, outcome.new_chat_id)
                    target, first_turn = outcome.new_chat_id, None
                    continue
                await self._failed(row, outcome.action, outcome.detail, outcome.retry_after)
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
            return
        await self._failed(row, Action.FAILED, "chat migrated more than twice", None)

    def _observe(self, seconds: float) -> None:
        self._latency = 0.9 * self._latency + 0.1 * seconds

    async def _failed(
        self, row: Claimed, action: Action, detail: str, retry_after: float | None
    ) -> None:
        """Carry out the outcome table's action for a failed send."""
        now = utcnow()
        if action in (Action.WAIT_AND_RETRY, Action.HALT):
            pause = retry_after or 1.0
            self.limiter.pause(pause)
            self.stats.rate_limited += action is Action.WAIT_AND_RETRY
            # Not the row's fault: no attempt is spent.
            next_at = now + timedelta(seconds=pause)
            self._record(self._outcome(row, queue.PENDING, next_at=next_at, error=detail))
            return
        if action is Action.CHAT_GONE:
            async with self._db, self._sessions() as session:
                status = await queue.mark_chat_gone(session, row.chat_id, detail)
            log.info("chat unreachable chat_id=%s status=%s error=%r", row.chat_id, status, detail)
            self._record(self._outcome(row, queue.SKIPPED, attempts=1, error=detail))
            self.stats.skipped += 1
            return
        attempts = row.attempts + 1
        if action is Action.RETRY and attempts < self._max_attempts:
            delay = self._backoff.delay(attempts)
            next_at = now + timedelta(seconds=delay)
            self._record(
                self._outcome(row, queue.PENDING, attempts=1, next_at=next_at, error=detail)
            )
            self.stats.retried += 1
            return
        log.warning(
            "delivery failed delivery_id=%s post_id=%s chat_id=%s attempts=%s error=%r",
            row.id,
            row.post_id,
            row.chat_id,
            attempts,
            detail,
        )
        self._record(self._outcome(row, queue.FAILED, attempts=1, error=detail))
        self.stats.failed += 1

    async def _migrate(self, row: Claimed, new_telegram_id: int) -> None:
        log.info("chat migrated chat_id=%s new_telegram_id=%s", row.chat_id, new_telegram_id)
        async with self._db, self._sessions() as session:
            await queue.move_chat(session, row.chat_id, new_telegram_id)

    # -- the ledger -----------------------------------------------------------
    def _outcome(
        self,
        row: Claimed,
        status: str,
        *,
        attempts: int = 0,
        next_at: datetime | None = None,
        error: str | None = None,
    ) -> Outcome:
        return Outcome(
            id=row.id,
            status=status,
            attempts=row.attempts + attempts,
            next_attempt_at=next_at or utcnow(),
            last_error=error,
        )

    def _requeue(self, rows: list[Claimed]) -> None:
        """Claimed but not started: back to the queue as they were."""
        for row in rows:
            self._record(self._outcome(row, queue.PENDING))

    def _record(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)

    async def _flush(self) -> None:
        if not self._outcomes:
            return
        batch, self._outcomes = self._outcomes, []
        try:
            async with self._db, self._sessions() as session:
                await queue.record_outcomes(session, batch)
        except BaseException:
            # Not written: keep them for the next flush (until then the rows stay
            # "sending", and a crash now would count them as in flight).
            self._outcomes = batch + self._outcomes
            raise

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            if self._outcomes:
                try:
                    await self._flush()
                except Exception:
                    log.exception(
                        "recording deliveries failed, retrying count=%s", len(self._outcomes)
                    )
                    continue
                self._wake.set()  # a chat's next row may be claimable now

    async def _remember_photo(self, post_id: int, file_id: str | None, failed: bool) -> None:
        # Only a saving for other chats and processes: never let it undo a send.
        try:
            async with self._db, self._sessions() as session:
                await queue.remember_photo(session, post_id, file_id=file_id, failed=failed)
        except Exception:
            log.exception("could not store the photo's fate post_id=%s", post_id)

    async def _load_posts(self, session: AsyncSession, post_ids: set[int]) -> None:
        missing = [post_id for post_id in post_ids if post_id not in self._posts]
        if not missing:
            return
        statement = (
            select(Post, Article, Feed)
            .outerjoin(Article, Article.id == Post.article_id)
            .outerjoin(Feed, Feed.id == Post.feed_id)
            .where(Post.id.in_(missing))
        )
        for post, article, feed in (await session.execute(statement)).all():
            self._posts[post.id] = PostState(
                post_id=post.id,
                content=post_content(post, article, feed),
                breaking=post.kind == "breaking",
                photo_file_id=post.photo_file_id,
                photo_failed=post.photo_failed,
                feed_url=feed.url if feed is not None else None,
            )
        while len(self._posts) > POST_CACHE:
            oldest = next(iter(self._posts))
            if oldest in post_ids:
                break
            del self._posts[oldest]


def telegram_target(telegram_id: int | None, username: str | None) -> int | str | None:
    """How Telegram names a chat: its numeric id, else ``@username`` (named in settings)."""
    if telegram_id is not None:
        return telegram_id
    return f"@{username.lstrip('@')}" if username else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
