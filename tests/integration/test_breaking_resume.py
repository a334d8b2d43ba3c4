"""Breaking progress outlives a restart: a new bot follows the broadcast a stop cut short
and brings the editor's preview to its totals, from the ledger."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.sandbox.emulator import BotApiEmulator
from storage.db import create_engine, session_factory
from storage.models import Delivery
from tests.harness import running_bot
from tests.integration.test_breaking import (
    EDITOR,
    ROLES,
    add_audience,
    add_staff,
    preview_of,
    publish,
    wait_for_text,
)

READERS = tuple(range(701, 721))  # with the channel: 21 chats


async def open_deliveries(db_url: str) -> int:
    """Deliveries still pending or in flight, read while no bot runs."""
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            query = select(func.count()).where(Delivery.status.in_(("pending", "sending")))
            return int(await session.scalar(query) or 0)
    finally:
        await engine.dispose()


async def test_a_restart_mid_broadcast_resumes_the_progress_to_its_totals(
    emulator: BotApiEmulator, db_url: str
) -> None:
    # Two messages a second: 21 chats take about ten seconds, so the stop lands mid-broadcast.
    async with running_bot(emulator, db_url, delivery={"rate": 2}, **ROLES) as first:
        add_staff(emulator)
        await add_audience(first, readers=READERS)
        preview = await preview_of(emulator, "Bridge closed")
        await publish(emulator, preview)
        await wait_for_text(emulator, EDITOR, preview.message_id, r"Publishing: sent to [1-9]")
    left = await open_deliveries(db_url)
    assert left > 0, "the broadcast finished before the stop; the test needs it cut short"
    edits_before = len(emulator.message(EDITOR, preview.message_id).edits)

    async with running_bot(emulator, db_url, **ROLES) as second:
        final = await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")
        assert await second.pending_deliveries() == 0

    assert "Done: delivered to 21 of 21. Blocked: 0. Failed: 0." in final
    assert "Bridge closed" in final
    assert len(emulator.message(EDITOR, preview.message_id).edits) > edits_before
