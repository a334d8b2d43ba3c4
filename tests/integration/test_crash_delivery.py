"""Crash safety: a worker process killed with SIGKILL, or stopped with SIGTERM, then restarted.

The worker runs as its own process (``python -m bench.run_worker``) against
the Bot API emulator served from this test. After the restart every queued
delivery is made; a chat holds two copies only if its send was in flight at
the kill, and there are never more such chats than ``recover()`` reported.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox.emulator import BotApiEmulator
from storage import db
from storage.models import Delivery
from tests.integration.test_delivery_support import POSTGRES_URL_VAR, World, fresh_database

ROOT = Path(__file__).resolve().parents[2]
READERS = 40
DB_KINDS = ["sqlite"] + (["postgres"] if os.environ.get(POSTGRES_URL_VAR) else [])


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return os.environ[POSTGRES_URL_VAR]
    return f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    engine = await fresh_database(db_url)
    # Some latency, so that a kill lands while sends are in flight.
    async with BotApiEmulator(latency=0.05) as emulator:
        yield World(db.session_factory(engine), emulator, photo_root="http://127.0.0.1:9")
    await engine.dispose()


async def start_worker(world: World, db_url: str, mode: str, worker_id: str = "crash-1") -> Any:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.run_worker",
        "--db-url",
        db_url,
        "--api-url",
        world.emulator.api_root,
        "--token",
        world.emulator.token,
        "--worker-id",
        worker_id,
        "--mode",
        mode,
        "--rate",
        "30",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), 30)
    assert json.loads(ready) == {"ready": True}, ready
    return process


async def final_report(process: Any) -> dict[str, Any]:
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def queue_broadcast(world: World) -> None:
    for user in range(1, READERS + 1):
        await world.reader(1000 + user, "*")
    await world.enqueue(await world.article_post(await world.feed(), "Crash-proof"))


def sent_so_far(world: World) -> int:
    return world.emulator.count("sendMessage")


async def status_counts(world: World) -> dict[str, int]:
    async with world.sessions() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {status: int(n) for status, n in rows.all()}


async def test_after_kill_9_and_restart_every_delivery_is_made_and_repeats_are_counted(
    world: World, db_url: str
) -> None:
    await queue_broadcast(world)
    first = await start_worker(world, db_url, "run")
    await world.emulator.wait_until(lambda: sent_so_far(world) >= 10, timeout=30)
    first.send_signal(signal.SIGKILL)
    await first.wait()

    second = await start_worker(world, db_url, "drain")
    report = await final_report(second)

    copies = [len(world.copies(1000 + user)) for user in range(1, READERS + 1)]
    assert min(copies) == 1  # every chat reached
    repeated = sum(n - 1 for n in copies)
    assert repeated <= report["recovered"]  # only sends in flight at the kill may repeat
    assert await status_counts(world) == {"sent": READERS}


async def test_sigterm_finishes_in_flight_sends_and_leaves_the_rest_queued(
    world: World, db_url: str
) -> None:
    await queue_broadcast(world)
    first = await start_worker(world, db_url, "run")
    await world.emulator.wait_until(lambda: sent_so_far(world) >= 10, timeout=30)
    first.send_signal(signal.SIGTERM)
    stopped = await final_report(first)

    counts = await status_counts(world)
    assert "sending" not in counts  # nothing left in flight
    assert counts["sent"] == stopped["sent"] == sent_so_far(world)  # every send recorded
    assert counts.get("pending", 0) == READERS - counts["sent"] > 0  # the rest stays queued

    second = await start_worker(world, db_url, "drain")
    report = await final_report(second)
    assert report["recovered"] == 0
    assert [len(world.copies(1000 + u)) for u in range(1, READERS + 1)] == [1] * READERS
