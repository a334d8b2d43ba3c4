"""One Core statement run for many rows, its parameters laid out once per database.

SQLAlchemy's executemany builds a dictionary of every parameter for each row
and runs each value through its type's converter by name: for the outcomes of
a broadcast (a hundred rows or more, ten times a second) that was 5.5 ms of
the event loop's CPU per 200 rows (bench/RESULTS.md). Here the statement is
compiled once per dialect, each row is a tuple in the order the driver wants,
and only the columns whose type has a converter (datetimes on SQLite) are
converted. The SQL is SQLAlchemy's own, to the letter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase

Row = tuple[Any, ...]
Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Layout:
    """The statement as one dialect's driver takes it."""

    sql: str
    # For each placeholder in order: the row's index and its converter, or a constant.
    slots: tuple[tuple[int, Convert | None] | tuple[None, Any], ...]

    def parameters(self, row: Row) -> Row:
        out = []
        for index, convert in self.slots:
            if index is None:
                out.append(convert)  # a constant of the statement, already converted
            else:
                value = row[index]
                out.append(value if convert is None or value is None else convert(value))
        return tuple(out)


class BulkStatement:
    """``statement`` run for many rows given as tuples of the ``names`` bind parameters."""

    def __init__(self, statement: UpdateBase, names: Sequence[str]) -> None:
        self._statement = statement
        self._names = tuple(names)
        # Per database, driver and paramstyle; None: a named paramstyle, nothing to lay out.
        self._layouts: dict[tuple[str, str, str], _Layout | None] = {}

    async def execute(self, session: AsyncSession, rows: Sequence[Row]) -> None:
        if not rows:
            return
        connection = await session.connection()
        dialect = connection.dialect
        layout = self._layout(dialect)
        if layout is None:
            # A named paramstyle (no driver used here has one): SQLAlchemy's own executemany.
            named = [dict(zip(self._names, row, strict=True)) for row in rows]
            await session.execute(self._statement, named)
            return
        await connection.exec_driver_sql(layout.sql, [layout.parameters(r) for r in rows])

    def _layout(self, dialect: Dialect) -> _Layout | None:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        if key not in self._layouts:
            self._layouts[key] = _lay_out(self._statement, self._names, dialect)
        return self._layouts[key]


def _lay_out(statement: UpdateBase, names: tuple[str, ...], dialect: Dialect) -> _Layout | None:
    compiled = statement.compile(dialect=dialect)
    order = compiled.positiontup
    if order is None:
        return None
    index = {name: i for i, name in enumerate(names)}
    missing = set(names) - set(order)
    if missing:
        raise ValueError(f"not parameters of the statement: {sorted(missing)}")
    slots: list[tuple[int, Convert | None] | tuple[None, Any]] = []
    for name in order:
        bind = compiled.binds[name]
        convert = _converter(bind.type.dialect_impl(dialect), dialect)
        if name in index:
            slots.append((index[name], convert))
        else:
            value = bind.effective_value
            slots.append((None, value if convert is None or value is None else convert(value)))
    return _Layout(compiled.string, tuple(slots))


def _converter(impl: Any, dialect: Dialect) -> Convert | None:
    """The type's own bind converter; for SQLite's datetimes, a quicker one that writes the same."""
    convert: Convert | None = impl.bind_processor(dialect)
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
