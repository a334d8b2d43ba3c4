"""Core statements on the delivery's hot path, laid out once per database and run on its driver.

A broadcast claims rows five times a second and writes outcomes ten times a
second. Through a session each statement cost what SQLAlchemy does for any
statement: its cache key walked (the claim's nested EXISTS is a deep tree),
an executemany's dictionary per row with each value converted by name (5.5 ms
of the event loop per 200 outcomes), and on SQLite four trips to aiosqlite's
thread (cursor, execute, fetchall, close), each about 0.1 ms of CPU
(bench/RESULTS.md). Here the statement is compiled once per dialect, each row
is a tuple in the order the driver wants, only the values whose type has a
converter are converted, and on aiosqlite a statement is one trip. The SQL is
SQLAlchemy's own, to the letter, and runs in the session's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Row = tuple[Any, ...]
Statement = Select[Any] | UpdateBase
Convert = Callable[[Any], Any]


class _Layout:
    """The statement as one dialect's driver takes it.

    A row's parameters are picked by one ``itemgetter`` over the row and the
    statement's constants, and only the values whose type has a converter are
    converted, as are a result's columns: a loop over every placeholder and
    every column cost 6 and 2.8 µs a row, now 3.8 and 0.8 (bench/RESULTS.md).
    """

    __slots__ = ("_constants", "_convert", "_convert_results", "_pick", "sql")

    def __init__(
        self,
        sql: str,
        slots: tuple[tuple[int, Convert | None] | tuple[None, Any], ...],
        results: tuple[Convert | None, ...],
        width: int,
    ) -> None:
        """``slots``: for each placeholder in order, the row's index and its converter,
        or None and a constant. ``results``: for each column returned, the type's
        converter of what the driver gives. ``width``: the values of a row.
        """
        self.sql = sql
        # The constants sit after the row's values: ``row + constants`` holds every
        # value a placeholder takes.
        self._constants = tuple(value for index, value in slots if index is None)
        positions, constant = [], width
        for index, _ in slots:
            if index is None:
                positions.append(constant)
                constant += 1
            else:
                positions.append(index)
        self._pick = _picker(positions)
        self._convert = tuple(
            (position, convert)
            for position, (index, convert) in enumerate(slots)
            if index is not None and convert is not None
        )
        self._convert_results = tuple(
            (position, convert) for position, convert in enumerate(results) if convert is not None
        )

    def parameters(self, row: Row) -> Row:
        values = self._pick(row + self._constants)
        return _converted(values, self._convert) if self._convert else values

    def result(self, rows: Sequence[Sequence[Any]]) -> list[Row]:
        if not self._convert_results:
            return [tuple(row) for row in rows]
        return [_converted(row, self._convert_results) for row in rows]


class DriverStatement:
    """``statement`` run with tuples of the ``names`` bind parameters, on the driver itself."""

    def __init__(self, statement: Statement, names: Sequence[str]) -> None:
        self._statement = statement
        self._names = tuple(names)
        # Per database, driver and paramstyle; None: a named paramstyle, nothing to lay out.
        self._layouts: dict[tuple[str, str, str], _Layout | None] = {}

    async def execute_many(self, session: AsyncSession, rows: Sequence[Row]) -> None:
        """The statement once per row, in one executemany."""
        if not rows:
            return
        connection = await session.connection()
        layout = self._layout(connection.dialect)
        if layout is None:
            # A named paramstyle (no driver used here has one): SQLAlchemy's own executemany.
            named = [dict(zip(self._names, row, strict=True)) for row in rows]
            await session.execute(self._statement, named)
            return
        parameters = [layout.parameters(row) for row in rows]
        driver = await _aiosqlite(connection)
        if driver is not None:
            await driver.executemany(layout.sql, parameters)
        else:
            await connection.exec_driver_sql(layout.sql, parameters)

    async def fetch(self, session: AsyncSession, values: Row) -> list[Row]:
        """The rows the statement returns (a SELECT's, or an UPDATE's RETURNING), converted."""
        connection = await session.connection()
        layout = self._layout(connection.dialect)
        if layout is None:
            named = dict(zip(self._names, values, strict=True))
            return [tuple(row) for row in (await session.execute(self._statement, named)).all()]
        parameters = layout.parameters(values)
        driver = await _aiosqlite(connection)
        if driver is not None:
            return layout.result(await driver.execute_fetchall(layout.sql, parameters))
        return layout.result((await connection.exec_driver_sql(layout.sql, parameters)).all())

    def _layout(self, dialect: Dialect) -> _Layout | None:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        if key not in self._layouts:
            self._layouts[key] = _lay_out(self._statement, self._names, dialect)
        return self._layouts[key]


def _converted(values: Sequence[Any], converters: tuple[tuple[int, Convert], ...]) -> Row:
    """``values`` with each one at a converter's position converted (None stays None)."""
    out = list(values)
    for position, convert in converters:
        value = out[position]
        if value is not None:
            out[position] = convert(value)
    return tuple(out)


def _picker(positions: list[int]) -> Callable[[Row], Row]:
    """A tuple of the values at ``positions``, picked in C."""
    if len(positions) == 1:  # itemgetter of one index gives the value, not a tuple
        only = positions[0]
        return lambda values: (values[only],)
    if not positions:
        return lambda values: ()
    return itemgetter(*positions)


async def _aiosqlite(connection: AsyncConnection) -> Any | None:
    """aiosqlite's own connection, whose execute_fetchall and executemany are one trip each."""
    if connection.dialect.driver != "aiosqlite":
        return None
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def _lay_out(statement: Statement, names: tuple[str, ...], dialect: Dialect) -> _Layout | None:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.positiontup is None:
        return None
    missing = set(names) - set(compiled.binds)
    if missing:
        raise ValueError(f"not parameters of the statement: {sorted(missing)}")
    expanding = sorted(name for name in names if compiled.binds[name].expanding)
    if expanding:
        raise ValueError(f"a list's length changes the SQL, it cannot be laid out: {expanding}")
    # The statement's own lists (``IN (:a, :b)`` of constants) are rendered once, here.
    state = compiled.construct_expanded_state(dict.fromkeys(names))
    assert state.positiontup is not None
    index = {name: i for i, name in enumerate(names)}
    expanded = state.processors or {}
    slots: list[tuple[int, Convert | None] | tuple[None, Any]] = []
    for name in state.positiontup:
        bind = compiled.binds.get(name)
        convert = (
            _converter(bind.type.dialect_impl(dialect), dialect)
            if bind is not None
            else expanded.get(name)
        )
        if name in index:
            slots.append((index[name], convert))
        else:
            value = state.parameters[name]
            slots.append((None, value if convert is None or value is None else convert(value)))
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.exported_columns
    )
    return _Layout(state.statement, tuple(slots), results, len(names))


def _converter(impl: Any, dialect: Dialect) -> Convert | None:
    """The type's own bind converter: on SQLite, for datetimes a quicker one that writes
    the same, and for booleans none."""
    convert: Convert | None = impl.bind_processor(dialect)
    if convert is not None and isinstance(impl, Boolean) and dialect.name == "sqlite":
        # None: sqlite3 binds a bool as the integer the type writes (1 or 0). The
        # type's check that the value is a bool, and its turn in the conversions,
        # were 42 of the 2,054 Python instructions of a message (bench/RESULTS.md);
        # the values are this package's, typed bool.
        return None
    if convert is None or not isinstance(impl, SQLITE_DATETIME):
        return convert
    quick = _sqlite_datetime(convert)
    # Only where it writes what the type writes (a type may have its own storage format).
    same = all(quick(probe) == convert(probe) for probe in _PROBES)
    return quick if same else convert


_PROBES = (datetime(2026, 12, 6, 9, 5, 7, 1234), datetime(999, 1, 2), datetime(2026, 1, 1, 0, 0))


def _sqlite_datetime(original: Convert) -> Convert:
    """SQLite's default text for a naive datetime, by ``isoformat``.

    SQLAlchemy fills a seven-field format string for each value, 2.8 µs here;
    ``isoformat`` writes the same text (the same padding, always the
    microseconds) in 0.9 µs. A delivery's outcome has two: about 1 % of the
    bot's CPU per message in a broadcast (bench/RESULTS.md). Anything else (an
    aware datetime, whose offset SQLAlchemy drops; a date) goes to SQLAlchemy's.
    """

    def convert(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return original(value)

    return convert
