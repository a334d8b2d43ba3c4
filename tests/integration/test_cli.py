"""The ``newsbot`` command line, run as a person runs it: a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.feedgen import items, rss
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEWSBOT_") and key != "TELEGRAM_BOT_TOKEN"
    }
    env["PYTHONPATH"] = str(ROOT)
    env["NEWSBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env.update(extra)
    return env


def newsbot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_a_token_exits_2_naming_the_variable(tmp_path: Path) -> None:
    result = newsbot(tmp_path, "run")
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_settings_file_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("admins = [1]\n[delivery\nrate = 3\n", encoding="utf-8")
    result = newsbot(tmp_path, "--config", "bad.toml", "feeds", "list")
    assert result.returncode == 2
    assert "bad.toml" in result.stderr and "line" in result.stderr


def test_an_unknown_settings_key_exits_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "newsbot.toml").write_text("[delivery]\nspeed = 3\n", encoding="utf-8")
    result = newsbot(tmp_path, "feeds", "list", NEWSBOT_CONFIG="newsbot.toml")
    assert result.returncode == 2
    assert "delivery.speed" in result.stderr


def test_a_bad_argument_exits_2(tmp_path: Path) -> None:
    assert newsbot(tmp_path, "feeds", "add", "ftp://nope").returncode == 2
    assert newsbot(tmp_path, "channels", "add", "not-a-chat").returncode == 2
    assert newsbot(tmp_path, "no-such-command").returncode == 2


def test_feeds_and_channels_are_managed_from_the_command_line(tmp_path: Path) -> None:
    added = newsbot(
        tmp_path,
        "feeds",
        "add",
        "https://el.example.kz/rss",
        "--name",
        "El",
        "--topic",
        "politics",
        "--channel",
        "@el_news",
    )
    assert added.returncode == 0, added.stderr
    assert "feed 1: https://el.example.kz/rss" in added.stdout
    listed = newsbot(tmp_path, "feeds", "list").stdout
    assert "https://el.example.kz/rss" in listed and "topic=politics" in listed
    assert "channels=@el_news" in listed
    assert "@el_news" in newsbot(tmp_path, "channels", "list").stdout
    assert newsbot(tmp_path, "channels", "remove", "@el_news").returncode == 0
    assert newsbot(tmp_path, "channels", "list").stdout.strip() == "no channels"
    assert newsbot(tmp_path, "feeds", "remove", "1").returncode == 0
    assert newsbot(tmp_path, "feeds", "list").stdout.strip() == "no feeds"
    assert newsbot(tmp_path, "feeds", "remove", "1").returncode == 1


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    result = newsbot(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout


async def test_run_at_debug_never_prints_the_token_and_stops_cleanly_on_sigterm(
    tmp_path: Path, emulator: Any, feed_server: Any
) -> None:
    channel = -1009876543210
    emulator.add_channel(channel, username="@debug_news", title="Debug")
    feed_server.put("/rss", rss(items("story", 2)))
    (tmp_path / "newsbot.toml").write_text(
        f'[polling]\ntick = 0.2\n[[feeds]]\nurl = "{feed_server.url("/rss")}"\n'
        'channels = ["@debug_news"]\nbackfill = 2\n',
        encoding="utf-8",
    )
    env = clean_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        NEWSBOT_API_URL=emulator.api_root,
        NEWSBOT_LOG_LEVEL="DEBUG",
        NEWSBOT_ALLOW_PRIVATE_FETCH="true",
        NEWSBOT_CONFIG="newsbot.toml",
    )
    # Files, not pipes: nobody reads a pipe until the end, and a DEBUG log fills one
    # (64 KB) long before that; the bot would block on its next log line.
    with (tmp_path / "out.txt").open("wb") as out, (tmp_path / "err.txt").open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=out, stderr=err
        )
        try:
            await emulator.wait_for_messages(channel, 2, timeout=20)
            await emulator.wait_until(lambda: emulator.count("getUpdates") >= 1, timeout=10)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
    stdout = (tmp_path / "out.txt").read_bytes()
    output = stdout.decode() + (tmp_path / "err.txt").read_text(encoding="utf-8")
    assert process.returncode == 0, output[-3000:]
    assert "DEBUG" in output  # it really logged at DEBUG
    assert stdout.decode().splitlines()[-1] == (
        "stopped: sent 2 messages; anything still queued goes out on the next start"
    )
    secret = TOKEN.split(":", 1)[1]
    assert TOKEN not in output and secret not in output
    assert "newsbot stopped" in output


@pytest.mark.parametrize("args", [["--help"], ["feeds", "--help"]])
def test_help_lists_the_commands(tmp_path: Path, args: list[str]) -> None:
    result = newsbot(tmp_path, *args)
    assert result.returncode == 0
    assert "feeds" in result.stdout or "add" in result.stdout


async def run_async(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Run ``newsbot`` without blocking the loop that serves the emulator and the feeds."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=clean_env(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def bot_env(emulator: Any) -> dict[str, str]:
    """A token, the emulator as the Bot API, and ``newsbot.toml`` in the working folder."""
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "NEWSBOT_API_URL": emulator.api_root,
        "NEWSBOT_CONFIG": "newsbot.toml",
    }


async def test_poll_once_delivers_what_is_new_and_exits(
    tmp_path: Path, emulator: Any, feed_server: Any
) -> None:
    channel = -1005550000001
    emulator.add_channel(channel, username="@cron_news", title="Cron")
    feed_server.put("/rss", rss(items("story", 3)))
    (tmp_path / "newsbot.toml").write_text(
        f'[[feeds]]\nurl = "{feed_server.url("/rss")}"\nchannels = ["@cron_news"]\nbackfill = 2\n',
        encoding="utf-8",
    )
    env = bot_env(emulator)
    code, out, err = await run_async(tmp_path, "poll", "--once", **env)
    assert code == 0, err[-2000:]
    assert out.splitlines()[-1] == "polled 1 feed: 2 new articles; sent 2 messages"
    assert [m.text.split("\n")[0] for m in emulator.messages(channel)] == [
        "Story story 1",
        "Story story 2",
    ]
    code, out, err = await run_async(tmp_path, "poll", "--once", **env)
    assert code == 0, err[-2000:]
    assert out.splitlines()[-1] == "polled 1 feed: 0 new articles; sent 0 messages"
    assert len(emulator.messages(channel)) == 2
    assert emulator.count("getUpdates") == 0  # a cron run never takes a running bot's updates


async def test_preview_shows_the_post_its_photo_and_length(
    tmp_path: Path, feed_server: Any
) -> None:
    from bot.sandbox.sample import serve_sample

    feed_url = await serve_sample(feed_server)
    code, out, err = await run_async(
        tmp_path, "preview", feed_url, "--limit", "3", NEWSBOT_ALLOW_PRIVATE_FETCH="true"
    )
    assert code == 0, err[-2000:]
    assert out.count("=== post") == 3
    assert "<b>Kazakhstan presents national report at the 48th UPR session in Geneva</b>" in out
    assert "photo: " in out and "upr-geneva" in out
    assert "UTF-16" in out
    assert "522.42" not in out and "Share:" not in out


async def test_poll_once_with_a_broken_feed_ends_in_a_sentence_and_exit_1(
    tmp_path: Path, emulator: Any, feed_server: Any
) -> None:
    emulator.add_channel(-1005550000002, username="@cron_news", title="Cron")
    feed_server.put("/good", rss(items("story", 3)))
    feed_server.put("/broken", b"<html><body>moved</body></html>", content_type="text/html")
    good, broken = feed_server.url("/good"), feed_server.url("/broken")
    (tmp_path / "newsbot.toml").write_text(
        f'[[feeds]]\nurl = "{good}"\nchannels = ["@cron_news"]\nbackfill = 2\n'
        f'[[feeds]]\nurl = "{broken}"\n',
        encoding="utf-8",
    )
    env = bot_env(emulator)
    code, out, err = await run_async(tmp_path, "poll", "--once", **env)
    assert code == 1, err[-2000:]
    last = out.splitlines()[-1]
    assert last.startswith(
        f"polled 2 feeds: 2 new articles, 1 feed failed ({broken}: not a feed"
    ), out
    assert last.endswith("; sent 2 messages")
    assert "Report(" not in out and "Traceback" not in out + err


async def test_preview_of_something_that_is_not_a_feed_says_why_in_one_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty.xml").write_text("<html><body>no feed here</body></html>", encoding="utf-8")
    code, out, err = await run_async(tmp_path, "preview", "empty.xml")
    assert code == 1
    assert err == "newsbot: preview: empty.xml: not a feed: no feed elements found\n"
    assert "Traceback" not in out + err


async def test_preview_of_a_feed_without_entries_says_so(tmp_path: Path) -> None:
    (tmp_path / "none.xml").write_bytes(rss([]))
    code, out, err = await run_async(tmp_path, "preview", "none.xml")
    assert code == 0, err
    assert out.strip() == "the feed has no entries: there is nothing to preview"
    assert "Traceback" not in err


def test_an_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = newsbot(
        tmp_path,
        "feeds",
        "list",
        NEWSBOT_DATABASE_URL="postgresql+asyncpg://nobody:x@127.0.0.1:9/none",
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("newsbot: feeds: ") and "Traceback" not in result.stderr
