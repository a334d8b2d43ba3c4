"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
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
    from sqlalchemy import inspect, text

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
