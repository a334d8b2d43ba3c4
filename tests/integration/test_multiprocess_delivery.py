"""Beyond one machine: two worker processes share one PostgreSQL and split the work.

PostgreSQL only (NEWSBOT_TEST_POSTGRES_URL): rows are claimed with
``FOR UPDATE SKIP LOCKED``, so each delivery is made by exactly one process.
The scheduler's leader lock is checked here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.sandbox.emulator import BotApiEmulator, TelegramLimits
from storage import db
from storage.leader import SCHEDULER_LOCK, LeaderLock
from tests.integration.test_crash_delivery import final_report, start_worker
from tests.integration.test_delivery_support import World, fresh_database

READERS = 120


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """Several processes share PostgreSQL; SQLite serves a single process."""
    return postgres_url


@pytest.fixture
async def world(pg_url: str) -> AsyncIterator[World]:
    engine = await fresh_database(pg_url)
    # Telegram's limits on: the two processes must share the bot's 30 messages a second.
    async with BotApiEmulator(latency=0.02, limits=TelegramLimits()) as emulator:
        yield World(db.session_factory(engine), emulator, photo_root="http://127.0.0.1:9")
    await engine.dispose()


async def test_two_processes_deliver_every_post_exactly_once(world: World, pg_url: str) -> None:
    for user in range(1, READERS + 1):
        await world.reader(5000 + user, "*")
    feed = await world.feed()
    for n in range(2):
        await world.enqueue(await world.article_post(feed, f"Post {n}", minutes=n))

    workers = [await start_worker(world, pg_url, "drain", f"node-{n}") for n in (1, 2)]
    reports = await asyncio.gather(*(final_report(w) for w in workers))

    assert all(report["sent"] > 0 for report in reports)  # both did part of the work
    assert sum(report["sent"] for report in reports) == 2 * READERS
    assert world.emulator.rejected_429 == 0  # each took its share of the rate, not all of it
    for user in range(1, READERS + 1):
        texts = [text.split("\n")[0] for text in world.copies(5000 + user)]
        assert texts == ["Post 0", "Post 1"]  # once each, in order, whoever sent them


async def test_only_one_process_leads_and_another_takes_over_when_it_goes(pg_url: str) -> None:
    first_engine, second_engine = db.create_engine(pg_url), db.create_engine(pg_url)
    first, second = LeaderLock(first_engine), LeaderLock(second_engine)
    try:
        assert await first.try_acquire() is True
        assert await first.try_acquire() is True  # still the leader
        assert await second.try_acquire() is False
        # The leader dies: PostgreSQL ends its session, and with it the lock. The
        # ending is asynchronous: the timeout (ms) waits for it, or a check made at
        # once may still find the lock held (it did, on uvloop's quicker loop).
        async with second_engine.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objid = :key AND granted"
                ),
                {"key": SCHEDULER_LOCK},
            )
            await admin.commit()
        assert await second.try_acquire() is True
        assert await first.try_acquire() is False  # the old leader notices it lost the lock
        await second.release()
        assert await first.try_acquire() is True  # released on shutdown: taken over at once
        await first.release()
    finally:
        # Released here too, so a failure above leaves no connection for the
        # garbage collector to find in a later test.
        await first.release()
        await second.release()
        await first_engine.dispose()
        await second_engine.dispose()


async def test_sqlite_is_always_the_leader(tmp_path: object) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/one.db")
    try:
        assert await LeaderLock(engine).try_acquire() is True
    finally:
        await engine.dispose()
