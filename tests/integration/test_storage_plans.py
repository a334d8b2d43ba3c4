"""Statements on open deliveries read them through the indexes of one status, never the ledger.

The deliveries' status indexes hold the rows of one status only (storage.models):
pending rows in the queue's and the due time's, rows in flight in the claims',
failed rows in their own. The statements that find deliveries by status
alone (the claim, the rows in flight, the next due time, the open and failed
counts) must be planned through that status's index on both back ends: a
plan that scans the table, or the chat index over every row, reads every
delivery ever sent. Those that find rows by id, post or chat go by those
indexes and are not here.

SQLite's plans are asked with ``EXPLAIN QUERY PLAN``. PostgreSQL's are the
generic plans of prepared statements (what a long-running bot gets after five
executions), with sequential scans priced out, so an index that the statement
cannot use shows as a scan of the table.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import claims, db, health, stats

# A status named in the SQL, and the indexes that hold that status's rows.
STATUS = re.compile(r"status = '(\w+)'")
INDEXES = {
    "pending": ("ix_deliveries_queue", "ix_deliveries_due"),
    "sending": ("ix_deliveries_claims",),
    "failed": ("ix_deliveries_failed",),
}
OPEN_ROW_INDEX = re.compile(r"ix_deliveries_(queue|due|claims|failed)\b")


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(db_url)
    await db.upgrade(engine)
    yield engine
    await engine.dispose()


async def _statements(engine: AsyncEngine) -> list[str]:
    """The SQL of every statement that chooses deliveries by status, as the bot runs it."""
    # The claim's statements run on the driver (storage.bulk): their SQL as laid out.
    dialect = engine.dialect
    found = []
    for statement in (claims._CLAIM, claims._CHATS, claims._TOP_LEVEL, claims._LEVEL_BELOW):
        layout = statement._layout(dialect)
        assert layout is not None
        found.append(layout.sql)
    # The others as sent to the database while each function runs.
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.session_factory(engine)() as session:
            now = db.utcnow()
            await claims.claim_owners(session)
            await claims.release_claims(session, ["worker-1"], now - timedelta(minutes=5))
            await claims.next_due_at(session)
            await claims.open_rows(session)
            await health.vitals(session)
            await stats.delivery_counts(session, now - timedelta(days=1))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    # Those that choose deliveries by their status (the stats' count of sent rows goes by
    # the time sent).
    return found + [sql for sql in sent if "status" in sql]


async def _plan(engine: AsyncEngine, sql: str) -> list[str]:
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            placeholders = (None,) * sql.count("?")
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", placeholders)
            return [str(row[-1]) for row in rows]
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        count = max((int(n) for n in re.findall(r"\$(\d+)", sql)), default=0)
        arguments = f"({', '.join(['NULL'] * count)})" if count else ""
        await raw.execute(f"PREPARE plan_check AS {sql}")
        try:
            await raw.execute("SET plan_cache_mode = force_generic_plan")
            await raw.execute("SET enable_seqscan = off")
            rows = await raw.fetch(f"EXPLAIN EXECUTE plan_check{arguments}")
            return [str(row[0]).strip() for row in rows]
        finally:
            await raw.execute("DEALLOCATE plan_check; RESET ALL")


def _reads_the_ledger(plan: list[str], back_end: str) -> list[str]:
    """The lines of ``plan`` that read deliveries whole rather than one status's rows."""
    if back_end == "sqlite":
        # SEARCH is a seek; a SCAN must be of an index that holds one status only.
        scans = [line for line in plan if line.startswith("SCAN ") and line != "SCAN CONSTANT ROW"]
        return [line for line in scans if not OPEN_ROW_INDEX.search(line)]
    # The chat index holds every delivery: it may only be sought by chat.
    return [
        line
        for line, then in zip(plan, [*plan[1:], ""], strict=True)
        if ("Seq Scan" in line and "deliveries" in line)
        or ("ix_deliveries_chat" in line and not then.startswith("Index Cond: (chat_id ="))
    ]


async def test_each_statement_on_a_status_reads_that_status_index_only(
    engine: AsyncEngine,
) -> None:
    statements = await _statements(engine)
    named = {status for sql in statements for status in STATUS.findall(sql)}
    assert named == set(INDEXES), "every indexed status is exercised"

    for sql in statements:
        plan = await _plan(engine, sql)
        shown = "\n".join(plan)
        for status in STATUS.findall(sql):
            assert any(index in shown for index in INDEXES[status]), f"{sql}\n{shown}"
        assert _reads_the_ledger(plan, engine.dialect.name) == [], f"{sql}\n{shown}"
