"""Feed polling on a clock: the job only ticks, the database knows which feed is due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import telemetry
from bot.feeds.refresh import RefreshResult, refresh_feed
from bot.newsroom.services import Services
from storage.db import utcnow
from storage.feeds import due_feeds, list_feeds
from storage.leader import LeaderLock

log = logging.getLogger(__name__)

# A few feeds at once: enough to hide network latency, few enough that a
# burst of slow feeds cannot starve delivery of the event loop.
PARALLEL_REFRESHES = 4
# How long a stop waits for a feed refresh in progress (a slow feed times out sooner).
SHUTDOWN_GRACE = 30.0


async def refresh_many(services: Services, feed_ids: Sequence[int]) -> list[RefreshResult]:
    """Refresh the given feeds, a few at a time; one feed's failure never stops the others."""
    gate = asyncio.Semaphore(PARALLEL_REFRESHES)

    async def one(feed_id: int) -> RefreshResult:
        async with gate:
            try:
                return await refresh_feed(
                    feed_id,
                    sessions=services.sessions,
                    fetcher=services.fetcher,
                    settings=services.settings,
                )
            except Exception as exc:  # a bug in one feed's refresh must not stop polling
                log.exception("feed refresh crashed feed_id=%s", feed_id)
                return RefreshResult(feed_id, "error", error=f"{type(exc).__name__}: {exc}")

    results = await asyncio.gather(*(one(feed_id) for feed_id in feed_ids))
    for result in results:
        telemetry.count_feed_poll(result.status)
    if any(result.deliveries for result in results):
        services.wake_delivery()
    return list(results)


async def poll_due(services: Services) -> list[RefreshResult]:
    async with services.sessions() as session:
        ids = [feed.id for feed in await due_feeds(session, utcnow())]
    return await refresh_many(services, ids)


async def poll_all(services: Services) -> list[RefreshResult]:
    """Every enabled feed, due or not (``newsbot poll --once``)."""
    async with services.sessions() as session:
        ids = [feed.id for feed in await list_feeds(session) if feed.enabled]
    return await refresh_many(services, ids)


class FeedScheduler:
    """Ticks every ``polling.tick`` seconds; polls only while this process is the leader."""

    def __init__(
        self,
        services: Services,
        leader: LeaderLock,
        *,
        after_poll: Callable[[list[RefreshResult]], Awaitable[object]] | None = None,
    ) -> None:
        self._services = services
        self._leader = leader
        self._after_poll = after_poll
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._leading = False
        self._polling: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self._services.settings.polling.tick,
            next_run_time=utcnow(),
            id="feed-tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def tick(self) -> None:
        """Start a poll of the due feeds unless the previous one is still running.

        The poll runs as its own task, so a slow feed never makes the clock
        skip ticks (and APScheduler warn about it) and a stop can wait for it.
        """
        # A tick already handed to the executor may still arrive during a stop.
        if self._stopping:
            return
        if self._polling is None or self._polling.done():
            self._polling = asyncio.create_task(self._poll(), name="feed-poll")

    async def _poll(self) -> None:
        try:
            if not await self._lead():
                return
            results = await poll_due(self._services)
            if self._after_poll is not None:
                # Part of the poll, so it runs one at a time and a stop waits for it.
                await self._after_poll(results)
        except Exception:  # the database gone, say: the next tick tries again
            log.exception("feed poll failed")

    async def _lead(self) -> bool:
        leading = await self._leader.try_acquire()
        if leading != self._leading:
            log.info("feed scheduler %s", "is now the leader" if leading else "is not the leader")
            self._leading = leading
        return leading

    async def shutdown(self) -> None:
        """Start no new poll, let a running one finish (its results are one transaction)."""
        self._stopping = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._polling is not None and not self._polling.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._polling), timeout=SHUTDOWN_GRACE)
            except TimeoutError:
                log.warning("feed poll still running at shutdown; it is cancelled")
                self._polling.cancel()
        await self._leader.release()
