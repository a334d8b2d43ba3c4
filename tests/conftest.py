"""Shared fixtures: databases (SQLite always, PostgreSQL when CI provides it),
the local Bot API emulator and feed server, and a running bot wired to them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import eventloop

POSTGRES_URL = os.environ.get("NEWSBOT_TEST_POSTGRES_URL", "")
TOKEN = "123456:TEST-token-abcdefghijklmnop"


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return "PostgreSQL tests: enabled (NEWSBOT_TEST_POSTGRES_URL is set)"
    return (
        "PostgreSQL tests: SKIPPED, set NEWSBOT_TEST_POSTGRES_URL=postgresql+asyncpg://... "
        "to run them (.ci/run does)"
    )


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """Every async test runs on the loop the product runs on (bot/eventloop.py)."""
    return {eventloop.name(): eventloop.new_event_loop}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # In CI a missing PostgreSQL must fail loudly, never skip quietly.
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI is set but NEWSBOT_TEST_POSTGRES_URL is not: .ci/run must start PostgreSQL"
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for what only PostgreSQL does (several processes)."""
    async with postgres_database() as url:
        yield url


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set NEWSBOT_TEST_POSTGRES_URL")
    name = f"newsbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings come only from what the test gives: no stray NEWSBOT_* or token variables."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name == "TELEGRAM_BOT_TOKEN":
            monkeypatch.delenv(name)
    yield


@pytest.fixture
async def emulator() -> AsyncIterator[object]:
    """A local Bot API emulator speaking HTTP on loopback."""
    from bot.sandbox.emulator import BotApiEmulator

    async with BotApiEmulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
async def feed_server() -> AsyncIterator[object]:
    """A local HTTP server for feeds, pages and photos."""
    from bot.sandbox.feedserver import FeedServer

    async with FeedServer() as server:
        yield server
