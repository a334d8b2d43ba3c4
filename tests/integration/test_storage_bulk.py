"""storage.bulk: one statement for many rows writes exactly what SQLAlchemy's executemany would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from storage import db
from storage.bulk import BulkStatement

metadata = MetaData()
items = Table(
    "bulk_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("at", DateTime(timezone=False)),
    Column("flag", Boolean),
    Column("note", Text),
)

CLOSE = (
    update(items)
    .where(items.c.id == bindparam("b_id"), items.c.state == "open")
    .values(
        state="closed", at=bindparam("b_at"), flag=bindparam("b_flag"), note=bindparam("b_note")
    )
)
WHEN = datetime(2026, 12, 6, 12, 30, 15, 123456)


async def _filled(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(
            insert(items),
            [
                {"id": 1, "state": "open"},
                {"id": 2, "state": "open"},
                {"id": 3, "state": "kept"},
            ],
        )


async def _rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        found = await connection.execute(select(items).order_by(items.c.id))
        return [tuple(row) for row in found.all()]


# One for every test, as the application keeps one: each database gets its layout.
CLOSE_MANY = BulkStatement(CLOSE, ("b_id", "b_at", "b_flag", "b_note"))


async def _close_three(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session:
        await CLOSE_MANY.execute(
            session,
            [(1, WHEN, True, "first"), (2, None, None, None), (3, WHEN, False, "not open")],
        )
        await session.commit()


EXPECTED = [
    (1, "closed", WHEN, True, "first"),
    (2, "closed", None, None, None),
    (3, "kept", None, None, None),  # the statement's own condition still holds
]


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(db_url)
    await _filled(engine)
    yield engine
    await engine.dispose()


async def test_rows_are_written_with_their_types_and_the_statements_constants(
    engine: AsyncEngine,
) -> None:
    await _close_three(engine)
    assert await _rows(engine) == EXPECTED


async def test_the_same_rows_through_sqlalchemys_executemany_give_the_same_table(
    engine: AsyncEngine,
) -> None:
    async with AsyncSession(engine) as session:
        await session.execute(
            CLOSE,
            [
                {"b_id": 1, "b_at": WHEN, "b_flag": True, "b_note": "first"},
                {"b_id": 2, "b_at": None, "b_flag": None, "b_note": None},
                {"b_id": 3, "b_at": WHEN, "b_flag": False, "b_note": "not open"},
            ],
        )
        await session.commit()
    assert await _rows(engine) == EXPECTED


async def test_a_driver_with_named_parameters_gets_sqlalchemys_executemany(
    tmp_path: Path,
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'named.db'}", paramstyle="named")
    assert CLOSE.compile(dialect=engine.dialect).positiontup is None  # no order to lay out
    await _filled(engine)
    await _close_three(engine)
    assert await _rows(engine) == EXPECTED
    await engine.dispose()


async def test_a_name_the_statement_does_not_have_is_an_error(engine: AsyncEngine) -> None:
    statement = BulkStatement(CLOSE, ("b_id", "b_when"))
    async with AsyncSession(engine) as session:
        with pytest.raises(ValueError, match="b_when"):
            await statement.execute(session, [(1, WHEN)])
