"""The ledger's writes of outcomes when the worker stops in the middle of one (SQLite)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.ledger import Ledger
from bot.sandbox.emulator import BotApiEmulator
from storage import db
from storage.claims import claim_due
from storage.deliveries import Outcome
from storage.models import Delivery
from tests.harness import until
from tests.integration.test_delivery_support import World, fresh_database


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    engine = await fresh_database(f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}")
    yield World(db.session_factory(engine), BotApiEmulator(), photo_root="http://127.0.0.1:9")
    await engine.dispose()


async def _statuses(world: World) -> list[str]:
    async with world.sessions() as session:
        return list((await session.execute(select(Delivery.status))).scalars())


async def test_a_flush_cancelled_mid_write_finishes_and_the_last_flush_is_not_locked_out(
    world: World, tmp_path: Path
) -> None:
    for telegram_id in (1, 2, 3):
        await world.reader(telegram_id, "*")
    await world.enqueue(await world.article_post(await world.feed(), "Stopping"))
    async with world.sessions() as session:
        rows = await claim_due(session, "w1", 10)
    ledger = Ledger(world.sessions, asyncio.Lock(), asyncio.Event())
    now = db.utcnow()
    for row in rows:
        ledger.record(Outcome(row.id, "sent", 1, now, 100 + row.id, False, None, now))

    # Another connection holds SQLite's write lock: the flush's write waits on it.
    blocker = sqlite3.connect(tmp_path / "newsbot.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    flusher = asyncio.create_task(ledger.flush_loop())

    async def writing() -> bool:  # the flush has taken the batch and is writing it
        return not ledger.outcomes

    await until(writing, seconds=10)
    await asyncio.sleep(0.2)
    flusher.cancel()  # the worker stopping, as its flusher is mid-write
    with pytest.raises(asyncio.CancelledError):
        await flusher
    blocker.execute("ROLLBACK")
    blocker.close()

    # The write under way finished, and left no transaction open behind it.
    async def written() -> bool:
        return await _statuses(world) == ["sent"] * 3

    await until(written, seconds=10)
    assert ledger.outcomes == []
    async with world.sessions() as session:
        found = await session.execute(select(Delivery.id, Delivery.message_id))
        assert sorted(tuple(r) for r in found) == sorted((row.id, 100 + row.id) for row in rows)
    # The last flush of a stopping worker: written at once, not after SQLite's 30 s wait.
    ledger.record(Outcome(rows[0].id, "sent", 1, now, 999, False, None, now))
    async with asyncio.timeout(5):
        await ledger.flush()
    assert ledger.outcomes == []
