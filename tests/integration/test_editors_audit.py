"""The audit log from the outside: /audit in Telegram and ``newsbot audit`` on the command line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.sandbox.emulator import BotApiEmulator
from storage import audit
from storage.db import create_engine, session_factory, upgrade
from tests.harness import running_bot
from tests.integration.test_breaking import (
    ADMIN,
    CHANNEL,
    EDITOR,
    ROLES,
    add_audience,
    add_staff,
    preview_of,
    publish,
    wait_for_text,
)

ROOT = Path(__file__).resolve().parents[2]


async def test_audit_shows_who_did_what_to_editors_and_admins(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=(301,))
        preview = await preview_of(emulator, "Audit me")
        await publish(emulator, preview)
        await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")
        await emulator.wait_for_messages(CHANNEL, 1)

        emulator.send_text(ADMIN, "/audit")
        [reply] = await emulator.wait_for_messages(ADMIN, 1)
        lines = reply.text.splitlines()
        assert lines[0] == "Audit log, newest first:"
        assert "published" in lines[1] and f"by {EDITOR}" in lines[1] and "chats=2" in lines[1]
        assert "previewed" in lines[2] and "Audit me" in lines[2]


async def test_audit_when_nothing_happened_yet(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, **ROLES):
        add_staff(emulator)
        emulator.send_text(EDITOR, "/audit")
        [reply] = await emulator.wait_for_messages(EDITOR, 1)
        assert reply.text == "The audit log is empty."


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            await audit.record(session, audit.PREVIEWED, user_id=EDITOR, post_id=None, detail="x")
            await audit.record(session, audit.PUBLISHED, user_id=EDITOR, post_id=None, chats=5)
            await session.commit()
    finally:
        await engine.dispose()


def _newsbot(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.update(PYTHONPATH=str(ROOT), NEWSBOT_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_newsbot_audit_prints_the_log_newest_first(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    asyncio.run(_seed(url))

    plain = _newsbot(tmp_path, url, "audit")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.strip().splitlines()
    assert "published" in lines[0] and "chats=5" in lines[0]
    assert "previewed" in lines[1]

    as_json = _newsbot(tmp_path, url, "audit", "--json", "--limit", "1")
    assert as_json.returncode == 0, as_json.stderr
    [entry] = json.loads(as_json.stdout)
    assert entry["action"] == "published" and entry["chats"] == 5 and entry["user_id"] == EDITOR

    bad = _newsbot(tmp_path, url, "audit", "--limit", "0")
    assert bad.returncode == 2 and "--limit" in bad.stderr
