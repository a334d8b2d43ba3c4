"""storage.db's engine: a connection comes back from the pool with nothing of the last user's.

On SQLite a connection is rolled back on its return only when a transaction is
open (``_rollback_if_open``). The sessions' tests hold on SQLite and PostgreSQL
alike; the last is SQLite's own case, a transaction its driver opened by itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage import db

metadata = MetaData()
notes = Table(
    "pool_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(32), nullable=False),
)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(db_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    async with engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
    await engine.dispose()


async def _texts(engine: AsyncEngine) -> list[str]:
    async with AsyncSession(engine) as session:
        return list((await session.scalars(select(notes.c.text).order_by(notes.c.id))).all())


async def test_a_session_closed_without_commit_leaves_nothing_behind(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session:
        await session.execute(insert(notes).values(text="never committed"))
    # The next session gets the same pooled connection: the insert must be gone,
    # and SQLite's write lock with it (a write would otherwise wait for it).
    async with AsyncSession(engine) as session:
        await session.execute(insert(notes).values(text="committed"))
        await session.commit()

    assert await _texts(engine) == ["committed"]


async def test_a_session_that_failed_midway_leaves_nothing_behind(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError, match="midway"):
        async with AsyncSession(engine) as session:
            await session.execute(insert(notes).values(text="half done"))
            raise RuntimeError("failed midway")

    assert await _texts(engine) == []


async def test_committed_work_is_kept_across_returns(engine: AsyncEngine) -> None:
    for text in ("first", "second"):
        async with AsyncSession(engine) as session:
            await session.execute(insert(notes).values(text=text))
            await session.commit()
        # Returned after a commit with nothing to undo: still there.
        async with AsyncSession(engine) as session:
            await session.scalar(select(notes.c.id).limit(1))

    assert await _texts(engine) == ["first", "second"]


async def test_a_transaction_opened_on_sqlites_driver_is_undone_on_return(tmp_path: Path) -> None:
    """Work on the driver itself, which SQLAlchemy's own transaction did not see.

    sqlite3 opens a transaction by itself at the first write; only the pool's
    reset can end it. Without it the next user of the connection would see
    the write, and hold SQLite's write lock without knowing it.
    """
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("INSERT INTO pool_notes (text) VALUES ('on the driver')")
            assert driver.in_transaction

        assert await _texts(engine) == []
    finally:
        await engine.dispose()
