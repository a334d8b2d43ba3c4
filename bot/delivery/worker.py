"""The delivery worker: claims due rows from the database, sends them within Telegram's limits.

One loop claims a batch of due rows (about a second's worth at the allowed
rate), and for each row takes a slot in the global pace and starts a send.
Sends run concurrently, so the whole rate is used whatever the latency (at
rate r and round trip t about r × t are in flight). What Telegram answered is
written back in bulk every FLUSH_EVERY seconds; the next batch is claimed
while the current one is half dispatched. On stop, sends already started
finish and are recorded; rows claimed but not started go back to the queue.

Here is the loop; one send is ``bot.delivery.courier``'s, the bookkeeping of
outcomes ``bot.delivery.ledger``'s, and the liveness lock, the rate's share and
the recovery of crashed workers' rows ``bot.delivery.liveness``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot

from bot.delivery.content import post_content
from bot.delivery.courier import Courier
from bot.delivery.editor import Editor
from bot.delivery.ledger import Ledger, WorkerStats, outcome
from bot.delivery.limiter import Departure, RateLimiter, allowed_rate
from bot.delivery.liveness import Liveness
from bot.delivery.outcomes import Backoff
from bot.delivery.sender import PostState, Sender
from bot.feeds.fetcher import Fetcher
from config.settings import Settings
from config.topics import TopicNames
from storage import claims
from storage import deliveries as queue
from storage.claims import Claimed
from storage.db import utcnow
from storage.models import Article, Feed, Post

log = logging.getLogger(__name__)

IDLE_POLL = 2.0  # seconds between looks at the queue when nothing was woken
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
    edited: int = 0  # sent copies edited after their article changed at the source


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
        self._tasks: set[asyncio.Task[None]] = set()
        self._task_done = asyncio.Event()
        self._wake = asyncio.Event()
        self._db = asyncio.Lock()  # one database conversation at a time from this worker
        self._ledger = Ledger(sessions, self._db, self._wake)
        self._courier = Courier(
            self._sender,
            self.limiter,
            self._ledger,
            self.stats,
            sessions,
            self._db,
            default_language=settings.post.language,
            max_attempts=delivery.max_attempts,
            backoff=self._backoff,
        )
        self._liveness = Liveness(worker_id, sessions, self._db, self.limiter, self._rate)
        self.editor = Editor(
            bot,
            sessions,
            self._db,
            self.limiter,
            worker_id=worker_id,
            default_language=settings.post.language,
            topic_names=TopicNames(settings.topics),
            max_attempts=delivery.max_attempts,
            backoff=self._backoff,
        )
        self._next_batch: asyncio.Task[list[Claimed]] | None = None

    # -- public ---------------------------------------------------------------
    def wake(self) -> None:
        """New rows were enqueued: look at the queue now rather than at the next idle poll."""
        self._wake.set()

    async def recover(self) -> int:
        """Put back rows left in flight by workers that died (a crash); count and log them.

        See ``Liveness.recover``: those rows, and only those, may reach their chat twice.
        """
        return await self._liveness.recover()

    async def close(self) -> None:
        """Let go of the liveness lock: nothing of ours is in flight any more."""
        await self._liveness.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; then finish what is in flight and leave the rest queued."""
        freeze_heap()
        flusher = asyncio.create_task(self._ledger.flush_loop())
        sharer = asyncio.create_task(self._liveness.share_rate_loop())
        interrupter = asyncio.create_task(self._interrupt_on(stop))
        editor = asyncio.create_task(self.editor.loop(stop))
        failures = 0
        try:
            while not stop.is_set():
                try:
                    claimed = await self._pump(stop)
                    if claimed == 0:
                        await self._idle(stop, IDLE_POLL)
                        await self._liveness.take_over_dead_claims()
                    failures = 0
                except Exception:  # the database went away: keep the bot up, try again
                    failures += 1
                    pause = self._backoff.delay(min(failures, 8))
                    log.exception("delivery loop failed, retrying in %.1fs", pause)
                    await self._idle(stop, pause)
        finally:
            await self._finish_edits(editor, stop)
            await self._wind_down(flusher, interrupter, sharer)
            self.limiter.resume()

    async def _wind_down(self, flusher: asyncio.Task[None], *helpers: asyncio.Task[None]) -> None:
        """Stop the helpers, hand back claims not yet started, record every outcome, close."""
        for helper in helpers:
            await _cancelled(helper)
        await self._return_next_batch()
        await self._settle()
        await _cancelled(flusher)  # a write under way finishes (shielded); then the last one
        await self._ledger.flush()
        await self.close()

    async def _finish_edits(self, editor: asyncio.Task[None], stop: asyncio.Event) -> None:
        """On stop the editor settles the batch in hand (never cut off mid-write); else cancel."""
        if not stop.is_set():
            await _cancelled(editor)
            return
        try:
            await editor
        except Exception:
            log.exception("edit loop failed while stopping")

    async def _interrupt_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.limiter.interrupt()  # no send waits out a long 429 pause once we stop

    async def drain(self, timeout: float | None = None) -> DrainReport:  # noqa: ASYNC109
        """Send everything due now, retrying with backoff while ``timeout`` allows; then report.

        ``timeout`` is part of the contract (the CLI's ``poll --once``): retries
        that fall due after it stay queued instead of being cut off mid-send.
        """
        freeze_heap()
        start, edited = WorkerStats(**vars(self.stats)), self.editor.edited
        deadline = None if timeout is None else time.monotonic() + timeout
        never = asyncio.Event()
        flusher = asyncio.create_task(self._ledger.flush_loop())
        sharer = asyncio.create_task(self._liveness.share_rate_loop())
        try:
            while deadline is None or time.monotonic() < deadline:
                if await self._pump(never, deadline) > 0:
                    continue
                await self._settle()
                await self._ledger.flush()
                wait = await self._until_next_due()
                if wait is None:
                    break
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
            # Copies of changed articles, once the copies themselves are out.
            await self.editor.drain(deadline)
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
            edited=self.editor.edited - edited,
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
                self._ledger.requeue(rows[index:])
                break
            if index == len(rows) // 2 and self._next_batch is None:
                self._next_batch = asyncio.create_task(self._claim())
            if self._held(row):
                continue
            await self._room()
            turn = await self.limiter.acquire()
            if turn is None:  # stopped (during a long 429 pause): the rest stays queued
                self._ledger.requeue(rows[index:])
                break
            self._start(row, turn)
        return len(rows)

    async def _claim(self) -> list[Claimed]:
        engine = self._sessions.kw.get("bind")
        if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
            await self._liveness.hold(engine)  # before any claim: others must see us alive
        async with self._db, self._sessions() as session:
            rows = await claims.claim_due(session, self.worker_id, self._batch)
            if rows:
                await self._load_posts(session, {row.post_id for row in rows})
        return rows

    async def _return_next_batch(self) -> None:
        """A batch claimed ahead but not started goes back to the queue."""
        pending, self._next_batch = self._next_batch, None
        if pending is not None:
            self._ledger.requeue(await pending)

    def _held(self, row: Claimed) -> bool:
        """A row that cannot go now is answered at once (skipped, or back to the queue)."""
        if row.chat_status != "active":
            self._ledger.record(outcome(row, queue.SKIPPED, error=f"chat is {row.chat_status}"))
            self.stats.skipped += 1
            return True
        wait = self.limiter.chat_ready_in(row.chat_id, row.chat_kind)
        if wait > CHAT_WAIT_INLINE:
            # A channel that had its 20 messages this minute: back to the queue until then.
            next_at = utcnow() + timedelta(seconds=wait)
            self._ledger.record(outcome(row, queue.PENDING, next_at=next_at))
            self.stats.requeued += 1
            return True
        return False

    def _start(self, row: Claimed, turn: Departure) -> None:
        # The post is looked up now: the cache may drop it before the task runs.
        task = asyncio.create_task(self._courier.deliver(row, self._posts.get(row.post_id), turn))
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
        return max(self._min_in_flight, math.ceil(self._rate * self._courier.latency * 2) + 1)

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
        return max(seconds, 0.05 if self._tasks or self._ledger.outcomes else 0.2)

    # -- the posts being sent -------------------------------------------------
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
                content=post_content(post, article, feed, TopicNames(self._settings.topics)),
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


def freeze_heap() -> None:
    """Keep the garbage collector off what the process holds for good; once per process.

    When sending starts, what exists (modules, PTB, SQLAlchemy, settings) lives
    as long as the process. Each full collection walked all of it: pauses of
    40-105 ms in a paid broadcast, a hundred sends lost each (bench/RESULTS.md).
    Frozen, it is no longer walked; what is made afterwards is collected as before.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()  # no garbage of start-up kept for good
        gc.freeze()


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
