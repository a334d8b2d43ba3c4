"""`newsbot check`, run as an operator runs it, against the emulator, the feed server
and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.db import create_engine, head_revision, upgrade
from tests.feedgen import items, rss
from tests.harness import TOKEN
from tests.integration.test_cli import run_async

GOOD_CHANNEL, MEMBER_CHANNEL, GROUP = -1007000000001, -1007000000002, -1007000000003


async def migrate(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def write_settings(tmp_path: Path, channels: list[str], feeds: list[str]) -> None:
    lines = [f"channels = {channels!r}".replace("'", '"')]
    lines += [f'[[feeds]]\nurl = "{url}"\n' for url in feeds]
    (tmp_path / "newsbot.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def env_for(emulator: Any, db_url: str, token: str = TOKEN) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": token,
        "NEWSBOT_API_URL": emulator.api_root,
        "NEWSBOT_DATABASE_URL": db_url,
        "NEWSBOT_CONFIG": "newsbot.toml",
        "NEWSBOT_ALLOW_PRIVATE_FETCH": "true",
    }


async def test_everything_in_place_passes_with_exit_0(
    tmp_path: Path, db_url: str, emulator: Any, feed_server: Any
) -> None:
    emulator.add_channel(GOOD_CHANNEL, username="@good_news", title="Good")
    emulator.add_group(GROUP, title="Newsroom chat", supergroup=True)
    feed_server.put("/rss", rss(items("story", 2)))
    await migrate(db_url)
    write_settings(tmp_path, ["@good_news", str(GROUP)], [feed_server.url("/rss")])

    code, out, err = await run_async(tmp_path, "check", **env_for(emulator, db_url))

    assert code == 0, out + err[-2000:]
    assert out.splitlines() == [
        f"ok    token: the bot is @{emulator.bot_user['username']} (id {emulator.bot_id})",
        f"ok    database: migrated (revision {head_revision()})",
        "ok    channel @good_news: administrator, may post",
        f"ok    channel {GROUP}: member, may post",
        f"ok    feed {feed_server.url('/rss')}: parses, 2 entries (Test News)",
        "all 5 checks passed",
    ]
    assert "Traceback" not in err


async def test_each_missing_part_fails_on_its_own_line_with_exit_1(
    tmp_path: Path, db_url: str, emulator: Any, feed_server: Any
) -> None:
    emulator.add_channel(MEMBER_CHANNEL, username="@not_admin", bot_status="member")
    feed_server.put("/broken", b"<html><body>Not a feed</body></html>", content_type="text/html")
    write_settings(tmp_path, ["@not_admin"], [feed_server.url("/broken")])

    code, out, err = await run_async(tmp_path, "check", **env_for(emulator, db_url))

    assert code == 1, out + err[-2000:]
    lines = out.splitlines()
    assert lines[1].startswith("FAIL  database: ") and "newsbot db upgrade" in lines[1]
    assert lines[2] == (
        "FAIL  channel @not_admin: the bot is only a member, not an administrator: make it one"
    )
    assert lines[3].startswith(f"FAIL  feed {feed_server.url('/broken')}: not a feed")
    broken = feed_server.url("/broken")
    assert lines[-1] == f"3 of 4 checks did not pass: database, channel @not_admin, feed {broken}"
    assert "Traceback" not in out + err
    assert emulator.count("sendMessage") == 0  # a check never posts


async def test_a_bad_token_fails_and_leaves_the_chats_unchecked(
    tmp_path: Path, sqlite_url: str, emulator: Any
) -> None:
    emulator.add_channel(GOOD_CHANNEL, username="@good_news")
    await migrate(sqlite_url)
    write_settings(tmp_path, ["@good_news"], [])

    code, out, err = await run_async(
        tmp_path, "check", **env_for(emulator, sqlite_url, token="999:WRONG-token-abcdefghij")
    )

    assert code == 1, out + err[-2000:]
    assert out.splitlines() == [
        "FAIL  token: Telegram refuses it (Unauthorized): check TELEGRAM_BOT_TOKEN",
        f"ok    database: migrated (revision {head_revision()})",
        "skip  channel @good_news: not checked: the token does not work",
        "2 of 3 checks did not pass: token, channel @good_news",
    ]
    assert "WRONG-token" not in out + err and "Traceback" not in err


async def test_without_a_token_it_is_bad_configuration_exit_2(tmp_path: Path) -> None:
    (tmp_path / "newsbot.toml").write_text("", encoding="utf-8")
    code, _out, err = await run_async(tmp_path, "check", NEWSBOT_CONFIG="newsbot.toml")
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in err and len(err.strip().splitlines()) == 1
