"""OPML from the outside: in Telegram (send a file, /exportfeeds) and with the CLI
(``feeds import`` / ``feeds export``); an import checks each feed, adds what works,
reports what does not, and importing the export again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.feeds.opml import OpmlFeed, build_opml, parse_opml
from storage.db import create_engine, session_factory
from storage.models import Feed, Role
from tests.feedgen import items, rss
from tests.harness import RunningBot, running_bot
from tests.integration.test_stats_figures import newsbot

ADMIN = 7001


def subscriptions(feed_server: Any) -> bytes:
    feed_server.put("/politics.xml", rss(items("p", 2), title="Politics Daily"))
    feed_server.put("/sport.xml", rss(items("s", 4), title="Sport Now"))
    return build_opml(
        [
            OpmlFeed(feed_server.url("/politics.xml"), "Politics", "politics"),
            OpmlFeed(feed_server.url("/sport.xml"), "Sport", "sport"),
            OpmlFeed(feed_server.url("/gone.xml"), "Gone", "world"),
        ]
    )


async def stored_feeds(bot: RunningBot) -> list[tuple[str, str | None]]:
    async with bot.services.sessions() as session:
        feeds = (await session.scalars(select(Feed).order_by(Feed.id))).all()
    return [(feed.url.rsplit("/", 1)[-1], feed.topic) for feed in feeds]


async def import_in_telegram(emulator: Any, data: bytes) -> str:
    """Send an OPML file as the admin; the bot's answer once it has checked every feed."""
    before = len(emulator.messages(ADMIN))
    emulator.send_document(ADMIN, "feeds.opml", data, "text/x-opml")
    await emulator.wait_for_messages(ADMIN, before + 1, timeout=15)
    reply = emulator.messages(ADMIN)[before]

    def finished() -> bool:
        text = emulator.message(ADMIN, reply.message_id).text
        return not text.startswith("Checking")

    await emulator.wait_until(finished, timeout=30)
    return str(emulator.message(ADMIN, reply.message_id).text)


async def test_telegram_import_export_import_is_idempotent(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    data = subscriptions(feed_server)
    async with running_bot(emulator, db_url, admins=[ADMIN]) as bot:
        report = await import_in_telegram(emulator, data)
        lines = report.splitlines()
        assert lines[0] == "Feeds in the file: 3. Added: 2. Known: 0. Failed: 1."
        assert "+ Politics Daily (2)" in lines and "+ Sport Now (4)" in lines
        assert any(line.startswith("✗ " + feed_server.url("/gone.xml")) for line in lines)
        assert await stored_feeds(bot) == [("politics.xml", "politics"), ("sport.xml", "sport")]

        before = len(emulator.messages(ADMIN))
        emulator.send_text(ADMIN, "/exportfeeds")
        (document,) = (await emulator.wait_for_messages(ADMIN, before + 1, timeout=15))[before:]
        assert document.kind == "document"
        exported = bytes(emulator.files.get(document.document["file_id"]).content)
        assert sorted((f.url.rsplit("/", 1)[-1], f.topic) for f in parse_opml(exported)) == [
            ("politics.xml", "politics"),
            ("sport.xml", "sport"),
        ]

        again = await import_in_telegram(emulator, exported)
        assert again == "Feeds in the file: 2. Added: 0. Known: 2. Failed: 0."
        assert await stored_feeds(bot) == [("politics.xml", "politics"), ("sport.xml", "sport")]


async def test_an_unreadable_file_is_reported(emulator: Any, db_url: str) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    async with running_bot(emulator, db_url, admins=[ADMIN]) as bot:
        report = await import_in_telegram(emulator, b"<opml><body><outline")
        assert report.startswith("I cannot read that file: not well-formed XML")
        report = await import_in_telegram(emulator, b"<rss/>")
        assert report.startswith("I cannot read that file: not an OPML document")
        assert await stored_feeds(bot) == []


async def test_cli_import_export_import_is_idempotent(feed_server: Any, tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    opml = tmp_path / "subscriptions.opml"
    opml.write_bytes(subscriptions(feed_server))

    first = await newsbot(tmp_path, db_url, "feeds", "import", str(opml))
    assert first.returncode == 1, first.stderr  # one feed failed: said, and the rest added
    out = first.stdout.splitlines()
    assert sum(line.startswith("checked ") for line in out) == 3  # plain lines: not a terminal
    assert f"failed\t{feed_server.url('/gone.xml')}\tHTTP 404" in out
    assert out[-1] == "3 feeds in the file: 2 added, 0 already known, 1 failed"

    exported = await newsbot(tmp_path, db_url, "feeds", "export")
    assert exported.returncode == 0
    feeds = parse_opml(exported.stdout.encode())
    assert sorted((f.url.rsplit("/", 1)[-1], f.topic, f.title) for f in feeds) == [
        ("politics.xml", "politics", "Politics Daily"),
        ("sport.xml", "sport", "Sport Now"),
    ]
    again_file = tmp_path / "exported.opml"
    assert (
        await newsbot(tmp_path, db_url, "feeds", "export", "-o", str(again_file))
    ).returncode == 0
    again = await newsbot(tmp_path, db_url, "feeds", "import", str(again_file))
    assert again.returncode == 0, again.stderr
    assert (
        again.stdout.splitlines()[-1] == "2 feeds in the file: 0 added, 2 already known, 0 failed"
    )

    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        urls = sorted((await session.scalars(select(Feed.url))).all())
    await engine.dispose()
    assert urls == [feed_server.url("/politics.xml"), feed_server.url("/sport.xml")]


async def test_cli_import_refuses_bad_files(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    missing = await newsbot(tmp_path, db_url, "feeds", "import", str(tmp_path / "nope.opml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    (tmp_path / "bad.opml").write_text("<opml>", encoding="utf-8")
    bad = await newsbot(tmp_path, db_url, "feeds", "import", str(tmp_path / "bad.opml"))
    assert bad.returncode == 2 and "not well-formed" in bad.stderr


async def test_cli_manages_editors(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    bad = await newsbot(tmp_path, db_url, "editors", "add", "bob")
    assert bad.returncode == 2 and "USER_ID" in bad.stderr
    assert (await newsbot(tmp_path, db_url, "editors", "list")).stdout.strip() == "no editors"
    added = await newsbot(tmp_path, db_url, "editors", "add", "777")
    assert added.returncode == 0 and added.stdout.strip() == "777 is now an editor."
    again = await newsbot(tmp_path, db_url, "editors", "add", "777")
    assert again.returncode == 1 and again.stderr.splitlines()[-1] == "777 is already an editor."
    assert (await newsbot(tmp_path, db_url, "editors", "list")).stdout.strip() == "777\tadded"
    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        roles = [(r.user_id, r.role) for r in (await session.scalars(select(Role))).all()]
    await engine.dispose()
    assert roles == [(777, "editor")]
    removed = await newsbot(tmp_path, db_url, "editors", "remove", "777")
    assert removed.returncode == 0 and removed.stdout.strip() == "777 is no longer an editor."
    gone = await newsbot(tmp_path, db_url, "editors", "remove", "777")
    assert gone.returncode == 1 and gone.stderr.splitlines()[-1] == "777 is not an editor."


async def test_a_long_import_shows_its_progress_then_the_report(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    for name in ("a", "b", "slow", "slower"):
        feed_server.put(f"/{name}.xml", rss(items(name, 1), title=name))
    feed_server.delay("/slow.xml", 3.5)  # past the first progress edit, under the fetch timeout
    feed_server.delay("/slower.xml", 4.5)
    data = build_opml(
        [OpmlFeed(feed_server.url(f"/{name}.xml")) for name in ("a", "b", "slow", "slower")]
    )
    async with running_bot(emulator, db_url, admins=[ADMIN]):
        report = await import_in_telegram(emulator, data)
    assert report.startswith("Feeds in the file: 4. Added: 4.")
    (message,) = emulator.messages(ADMIN)
    history = [version.text for version in message.edits] + [message.text]
    assert history[0] == "Checking the feeds…"
    assert history[1:-1] == ["Checking the feeds… 3 of 4"]
