"""storage.bulk: statements run on the driver write and read exactly what SQLAlchemy would."""

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
from storage.bulk import DriverStatement

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
CLOSE_MANY = DriverStatement(CLOSE, ("b_id", "b_at", "b_flag", "b_note"))


async def _close_three(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session:
        await CLOSE_MANY.execute_many(
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


async def test_a_driver_with_named_parameters_gets_sqlalchemys_own_execution(
    tmp_path: Path,
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'named.db'}", paramstyle="named")
    assert CLOSE.compile(dialect=engine.dialect).positiontup is None  # no order to lay out
    await _filled(engine)
    await _close_three(engine)
    assert await _rows(engine) == EXPECTED
    async with AsyncSession(engine) as session:
        fetched = await DriverStatement(REOPEN, ("b_id", "b_at")).fetch(session, (2, WHEN))
        await session.commit()
    assert fetched == [(2, WHEN)]
    await engine.dispose()


async def test_a_name_the_statement_does_not_have_is_an_error(engine: AsyncEngine) -> None:
    statement = DriverStatement(CLOSE, ("b_id", "b_when"))
    async with AsyncSession(engine) as session:
        with pytest.raises(ValueError, match="b_when"):
            await statement.execute_many(session, [(1, WHEN)])


# Values whose text could differ: no microseconds, a three-digit year, midnight.
EDGES = [datetime(2026, 1, 1), datetime(999, 12, 31, 23, 59, 59, 1), datetime(2026, 12, 6, 0, 0, 5)]


async def _texts_of_times(engine: AsyncEngine, write: str) -> list[str]:
    """The ``at`` column as the database holds it, after rows 1 and 2 are closed at EDGES."""
    rows = [(1, EDGES[0], None, None), (2, EDGES[1], None, None)]
    async with AsyncSession(engine) as session:
        if write == "bulk":
            await CLOSE_MANY.execute_many(session, rows)
        else:
            named = [{"b_id": i, "b_at": at, "b_flag": f, "b_note": n} for i, at, f, n in rows]
            await session.execute(CLOSE, named)
        await session.commit()
    async with engine.connect() as connection:
        found = await connection.exec_driver_sql(
            "SELECT CAST(at AS TEXT) FROM bulk_items WHERE at IS NOT NULL ORDER BY id"
        )
        return [str(value) for (value,) in found.all()]


async def test_times_are_stored_as_the_same_text_as_sqlalchemys_executemany(db_url: str) -> None:
    """On SQLite a datetime is text: the bulk write's quicker conversion writes SQLAlchemy's."""
    texts = []
    for write in ("bulk", "sqlalchemy"):
        url = db_url.replace("newsbot.db", f"{write}.db")  # SQLite: a file each
        engine = db.create_engine(url)
        try:
            await _filled(engine)
            texts.append(await _texts_of_times(engine, write))
            async with engine.begin() as connection:
                await connection.run_sync(metadata.drop_all)
        finally:
            await engine.dispose()
    assert texts[0] == texts[1] and len(texts[0]) == 2


async def test_a_time_column_with_its_own_format_keeps_it(tmp_path: Path) -> None:
    """A SQLite datetime stored in another format than the default is converted by its type."""
    from sqlalchemy.dialects.sqlite import DATETIME

    stamps = Table(
        "stamps",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DATETIME(storage_format="%(year)04d/%(month)02d/%(day)02d")),
    )
    stamp = DriverStatement(
        update(stamps).where(stamps.c.id == bindparam("b_id")).values(at=bindparam("b_at")),
        ("b_id", "b_at"),
    )
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'stamps.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(stamps.metadata.create_all)
            await connection.execute(insert(stamps), [{"id": 1}])
        async with AsyncSession(engine) as session:
            await stamp.execute_many(session, [(1, EDGES[1])])
            await session.commit()
        async with engine.connect() as connection:
            found = await connection.exec_driver_sql("SELECT at FROM stamps")
            assert found.scalar_one() == "0999/12/31"
    finally:
        await engine.dispose()


# A SELECT and an UPDATE ... RETURNING, with a list of the statement's own constants.
OPEN_OR_KEPT = (
    select(items.c.id, items.c.at, items.c.flag)
    .where(items.c.state.in_(("open", "kept")), items.c.id >= bindparam("b_from"))
    .order_by(items.c.id)
)
REOPEN = (
    update(items)
    .where(items.c.id == bindparam("b_id"))
    .values(state="open", at=bindparam("b_at"))
    .returning(items.c.id, items.c.at)
)


async def test_fetched_rows_are_what_sqlalchemy_returns(engine: AsyncEngine) -> None:
    """The driver's values come back converted by their types, as SQLAlchemy's would."""
    await _close_three(engine)
    reopen = DriverStatement(REOPEN, ("b_id", "b_at"))
    open_or_kept = DriverStatement(OPEN_OR_KEPT, ("b_from",))
    async with AsyncSession(engine) as session:
        assert await reopen.fetch(session, (1, EDGES[1])) == [(1, EDGES[1])]
        fetched = await open_or_kept.fetch(session, (1,))
        through_sqlalchemy = (await session.execute(OPEN_OR_KEPT, {"b_from": 1})).all()
        await session.commit()
    assert fetched == [tuple(row) for row in through_sqlalchemy]
    assert fetched == [(1, EDGES[1], True), (3, None, None)]
    assert isinstance(fetched[0][1], datetime)  # on SQLite the driver gives text


async def test_a_list_given_with_each_call_is_refused(engine: AsyncEngine) -> None:
    """Its length would change the SQL: such a statement stays with SQLAlchemy."""
    listed = DriverStatement(
        select(items.c.id).where(items.c.id.in_(bindparam("b_ids", expanding=True))), ("b_ids",)
    )
    async with AsyncSession(engine) as session:
        with pytest.raises(ValueError, match="b_ids"):
            await listed.fetch(session, ([1, 2],))
