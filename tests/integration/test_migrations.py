"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import create_engine, current_revision, upgrade
from storage.models import Base


async def test_upgrade_to_head_matches_the_models_and_is_repeatable(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # `run` upgrades on every start: a second time changes nothing
        assert await current_revision(engine) is not None

        def differences(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection)
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
        assert diff == []
    finally:
        await engine.dispose()


async def test_editions_migration_keeps_feeds_and_goes_back_down(db_url: str) -> None:
    """0003 adds the feeds' edition and category map and the readers' editions to a database
    that already has feeds and readers; its downgrade removes them again."""
    from alembic import command
    from sqlalchemy import text

    from storage.db import alembic_config

    engine = create_engine(db_url)
    try:
        await upgrade(engine, "0002_delivery")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO feeds (url, topic, interval, backfill, enabled, origin, "
                    "next_check_at, error_count, created_at) VALUES ('https://x.kz/rss', "
                    "'politics', 60, 0, true, 'admin', '2026-11-27 08:00', 0, '2026-11-27 08:00')"
                )
            )
        await upgrade(engine, "0003")
        assert await current_revision(engine) == "0003"
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT topic, language, edition, topic_map FROM feeds")
                )
            ).one()
        assert tuple(row) == ("politics", None, None, None)

        def downgrade(connection: Connection) -> list[str]:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0002_delivery")
            return inspect(connection).get_table_names()

        async with engine.begin() as connection:
            tables = await connection.run_sync(downgrade)
        assert "chat_editions" not in tables and "feeds" in tables
    finally:
        await engine.dispose()


def _status_indexes(connection: Connection) -> dict[str, tuple[list[str], str | None]]:
    """The deliveries' indexes as the database has them: columns, and the status each
    holds only (None: every row). Alembic's comparison does not look at conditions."""
    found = {}
    for index in inspect(connection).get_indexes("deliveries"):
        options = index.get("dialect_options", {})
        where = options.get("sqlite_where", options.get("postgresql_where"))
        status = re.search(r"'(\w+)'", str(where)) if where is not None else None
        found[str(index["name"])] = (list(index["column_names"]), status and status[1])
    return found


async def test_open_row_indexes_hold_the_statuses_the_models_name_and_go_back_down(
    db_url: str,
) -> None:
    """0005 makes the queue's indexes partial, one status each; its downgrade restores 0004's."""
    from alembic import command

    from storage.db import alembic_config

    def indexed_by_the_models() -> dict[str, tuple[list[str], str | None]]:
        found = {}
        for index in Base.metadata.tables["deliveries"].indexes:
            where = index.dialect_kwargs.get("sqlite_where")
            status = re.search(r"'(\w+)'", str(where)) if where is not None else None
            found[str(index.name)] = ([c.name for c in index.columns], status and status[1])
        return found

    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")

    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            at_head = await connection.run_sync(_status_indexes)
        models = indexed_by_the_models()
        assert {name: at_head[name] for name in models} == models
        assert models["ix_deliveries_queue"] == (["priority", "sort_at", "id"], "pending")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        async with engine.connect() as connection:
            before = await connection.run_sync(_status_indexes)
        assert before["ix_deliveries_queue"] == (["status", "priority", "sort_at", "id"], None)
        assert before["ix_deliveries_due"] == (["status", "next_attempt_at"], None)
        assert "ix_deliveries_claims" not in before and "ix_deliveries_failed" not in before
    finally:
        await engine.dispose()
