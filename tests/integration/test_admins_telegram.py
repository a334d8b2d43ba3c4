"""Admins in Telegram, from the outside: the real bot over HTTP to the Bot API emulator,
feeds from the local feed server, a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import csv
import io
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from bot.newsroom.roles import Role, role_of
from storage.db import create_engine, session_factory, upgrade, utcnow
from storage.models import Chat, Feed, Subscription
from storage.models import Role as RoleRow
from tests.feedgen import items, rss
from tests.harness import running_bot, wait_until_polled
from tests.integration.test_stats_figures import seed_history

ADMIN = 5001
READER = 5002
EDITOR_ID = 777


def people(emulator: Any) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    emulator.add_user(READER, "Reader", "en")


async def ask(emulator: Any, user_id: int, text: str, replies: int = 1) -> list[Any]:
    """Send ``text`` as ``user_id`` and return the bot's ``replies`` new messages to them."""
    before = len(emulator.messages(user_id))
    emulator.send_text(user_id, text)
    sent = await emulator.wait_for_messages(user_id, before + replies, timeout=15)
    return sent[before:]


async def answer(emulator: Any, user_id: int, text: str) -> str:
    return str((await ask(emulator, user_id, text))[0].text)


async def seeded_alerts(emulator: Any) -> None:
    """The seeded history has a failing feed and a lost channel: the running bot tells first."""
    feed_alert, channel_alert = await emulator.wait_for_messages(ADMIN, 2, timeout=15)
    assert "Failing <Feed> has been failing since" in feed_alert.text
    assert "Channel @old stopped accepting posts" in channel_alert.text


def uploaded(emulator: Any, file_id: str) -> bytes:
    stored = emulator.files.get(file_id)
    assert stored is not None, f"the emulator has no file {file_id}"
    return bytes(stored.content)


async def test_stats_shows_the_figures_and_a_chart(emulator: Any, db_url: str) -> None:
    engine = create_engine(db_url)
    await upgrade(engine)
    await seed_history(session_factory(engine), utcnow().replace(microsecond=0))
    await engine.dispose()
    people(emulator)
    async with running_bot(emulator, db_url, admins=[ADMIN]):
        await seeded_alerts(emulator)
        text, chart = await ask(emulator, ADMIN, "/stats", replies=2)
    assert text.kind == "text"
    for expected in (
        "Readers: 5",
        "active 3, blocked 1, left 1",
        "new: 1 in 24 h, 3 in 7 days",
        "politics 2, all topics 1, sport 1",
        "Channels: 2",
        "Feeds: 2, failing 1",
        "Failing <Feed>: 3 errors in a row, last: HTTP 500",
        "sent 8, failed 1, queued ",  # the running worker may have settled the queued one
        "median time from discovery to delivery: 90 s",
        "reached 4 of 5",
    ):
        assert expected in text.text, expected
    assert chart.kind == "photo" and chart.photo is not None
    image = Image.open(io.BytesIO(uploaded(emulator, chart.photo["file_id"])))
    assert image.format in ("PNG", "JPEG")  # Telegram may re-encode; the emulator keeps PNG
    assert image.size[0] >= 800 and image.size[1] >= 600


async def test_stats_speaks_the_admins_language(emulator: Any, db_url: str) -> None:
    emulator.add_user(ADMIN, "Админ", "ru")
    async with running_bot(emulator, db_url, admins=[ADMIN]):
        text, chart = await ask(emulator, ADMIN, "/stats", replies=2)
    assert "Читатели: 0" in text.text and chart.text == "Читатели за 30 дней"


async def test_non_admins_are_refused_and_nothing_happens(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    people(emulator)
    feed_server.put("/rss", rss(items("s", 2)))
    async with running_bot(emulator, db_url, admins=[ADMIN]) as bot:
        for command in (
            "/stats",
            f"/addfeed {feed_server.url('/rss')}",
            "/removefeed 1",
            "/addchannel @news",
            f"/addeditor {READER}",
            "/export",
            "/exportfeeds",
        ):
            assert await answer(emulator, READER, command) == "Sorry, only admins can do that."
        emulator.send_document(READER, "feeds.opml", b"<opml/>", "text/x-opml")
        refusal = await emulator.wait_for_messages(READER, 8, timeout=15)
        assert refusal[-1].text == "Sorry, only admins can do that."
        async with bot.services.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Feed)) == 0
            assert await session.scalar(select(func.count()).select_from(RoleRow)) == 0
        assert feed_server.hits("/rss") == 0


async def test_feeds_are_added_checked_listed_and_removed(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    people(emulator)
    feed_server.put("/rss", rss(items("old", 3), title="City & News"))
    url = feed_server.url("/rss")
    async with running_bot(emulator, db_url, admins=[ADMIN]) as bot:
        assert await answer(emulator, ADMIN, "/addfeed") == "Usage: /addfeed URL [topic]"
        assert await answer(emulator, ADMIN, "/addfeed ftp://x/y") == (
            "ftp://x/y is not an http(s) URL."
        )
        missing = await answer(emulator, ADMIN, f"/addfeed {feed_server.url('/missing')}")
        assert missing.startswith("Cannot add") and "HTTP 404" in missing
        feed_server.put("/page", "<html><body>not a feed</body></html>", "text/html")
        not_feed = await answer(emulator, ADMIN, f"/addfeed {feed_server.url('/page')}")
        assert not_feed.startswith("Cannot add")

        added = await answer(emulator, ADMIN, f"/addfeed {url} politics")
        assert added == (
            "Added feed #1 City & News (3 entries now); only new entries will be posted."
        )
        again = await answer(emulator, ADMIN, f"/addfeed {url}")
        assert again == f"Feed #1 is already there: {url}"
        listing = await answer(emulator, ADMIN, "/feeds")
        assert "#1 City & News [politics]" in listing and url in listing
        async with bot.services.sessions() as session:
            feeds = (await session.scalars(select(Feed))).all()
        assert [(f.url, f.topic, f.origin) for f in feeds] == [(url, "politics", "admin")]

        assert await answer(emulator, ADMIN, "/removefeed x") == (
            "Usage: /removefeed ID (a number from /feeds)"
        )
        assert await answer(emulator, ADMIN, "/removefeed 99") == "There is no feed #99."
        assert await answer(emulator, ADMIN, "/removefeed 1") == "Feed #1 removed."
        assert await answer(emulator, ADMIN, "/feeds") == "No feeds yet. Add one: /addfeed URL"


async def test_an_added_feed_posts_only_entries_that_appear_afterwards(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    people(emulator)
    feed_server.put("/rss", rss(items("old", 3)))
    async with running_bot(emulator, db_url, admins=[ADMIN]) as bot:
        async with bot.services.sessions.begin() as session:
            # A subscriber to every topic, as /subscribe leaves one.
            chat = Chat(telegram_id=READER, kind="private", status="active", joined_at=utcnow())
            session.add(chat)
            await session.flush()
            session.add(Subscription(chat_id=chat.id, topic="*", created_at=utcnow()))
        await answer(emulator, ADMIN, f"/addfeed {feed_server.url('/rss')}")
        await wait_until_polled(bot)
        assert emulator.messages(READER) == []
        feed_server.put("/rss", rss(items("old", 3) + items("new", 1, start=10)))
        async with bot.services.sessions.begin() as session:
            feed = await session.scalar(select(Feed))
            assert feed is not None
            feed.next_check_at = utcnow()  # due now, not after the 5-minute interval
        posted = await emulator.wait_for_messages(READER, 1, timeout=15)
        assert posted[0].text.startswith("New story 10")


async def test_channels_are_checked_added_listed_and_removed(emulator: Any, db_url: str) -> None:
    people(emulator)
    emulator.add_channel(-100500, username="@desk", title="Desk")
    emulator.add_channel(-100600, username="@readonly", title="RO", can_post_messages=False)
    emulator.add_channel(-100700, username="@member", title="M", bot_status="member")
    async with running_bot(emulator, db_url, admins=[ADMIN]) as bot:
        assert await answer(emulator, ADMIN, "/channels") == (
            "No channels yet. Add one: /addchannel @channel"
        )
        assert await answer(emulator, ADMIN, "/addchannel desk") == (
            "Usage: /addchannel @channel (or its numeric id)"
        )
        unknown = await answer(emulator, ADMIN, "/addchannel @nowhere")
        assert unknown.startswith("Cannot reach @nowhere")
        for name in ("@readonly", "@member"):
            refused = await answer(emulator, ADMIN, f"/addchannel {name}")
            assert refused == (
                f"I am not an administrator allowed to post in {name}: make me one and try again."
            )
        person = await answer(emulator, ADMIN, f"/addchannel {READER}")
        assert person == f"{READER} is a person, not a channel."
        assert await answer(emulator, ADMIN, "/addchannel @desk") == (
            "Channel @desk added: posts will go there."
        )
        assert await answer(emulator, ADMIN, "/channels") == "Channels:\n@desk (-100500): posting"
        async with bot.services.sessions() as session:
            chats = (await session.scalars(select(Chat).where(Chat.kind != "private"))).all()
        assert [(c.telegram_id, c.username, c.is_target, c.status) for c in chats] == [
            (-100500, "desk", True, "active")
        ]
        assert await answer(emulator, ADMIN, "/removechannel @desk") == (
            "Channel @desk removed: no more posts go there."
        )
        assert await answer(emulator, ADMIN, "/removechannel @desk") == (
            "@desk is not one of the channels."
        )
        assert await answer(emulator, ADMIN, "/removechannel") == (
            "Usage: /removechannel @channel (or its numeric id)"
        )


async def test_editors_are_added_listed_and_removed(emulator: Any, db_url: str) -> None:
    people(emulator)
    async with running_bot(emulator, db_url, admins=[ADMIN], editors=[888]) as bot:
        services = bot.services
        assert await answer(emulator, ADMIN, "/addeditor bob") == (
            "Usage: /addeditor USER_ID (a number)"
        )
        assert await answer(emulator, ADMIN, "/addeditor -5") == (
            "Usage: /addeditor USER_ID (a number)"
        )
        assert await answer(emulator, ADMIN, f"/addeditor {EDITOR_ID}") == "777 is now an editor."
        assert await answer(emulator, ADMIN, f"/addeditor {EDITOR_ID}") == (
            "777 is already an editor."
        )
        assert await role_of(services.settings, services.sessions, EDITOR_ID) is Role.EDITOR
        assert await answer(emulator, ADMIN, "/editors") == (
            "Editors:\n888 (settings file)\n777 (added)"
        )
        assert await answer(emulator, ADMIN, "/removeeditor 888") == (
            "888 is an editor in the settings file: remove them there."
        )
        assert await answer(emulator, ADMIN, f"/removeeditor {EDITOR_ID}") == (
            "777 is no longer an editor."
        )
        assert await answer(emulator, ADMIN, f"/removeeditor {EDITOR_ID}") == (
            "777 is not an editor."
        )
        assert await role_of(services.settings, services.sessions, EDITOR_ID) is Role.READER


async def test_export_sends_two_csv_files(emulator: Any, db_url: str) -> None:
    engine = create_engine(db_url)
    await upgrade(engine)
    await seed_history(session_factory(engine), utcnow().replace(microsecond=0))
    await engine.dispose()
    people(emulator)
    async with running_bot(emulator, db_url, admins=[ADMIN]):
        await seeded_alerts(emulator)
        readers, deliveries = await ask(emulator, ADMIN, "/export", replies=2)
    assert readers.kind == deliveries.kind == "document"
    assert readers.document["file_name"] == "readers-per-day.csv"
    rows = list(
        csv.DictReader(io.StringIO(uploaded(emulator, readers.document["file_id"]).decode()))
    )
    assert len(rows) == 41  # from the first reader, 40 days ago, to today
    assert (rows[-1]["active"], rows[-1]["blocked"], rows[-1]["left"]) == ("3", "1", "1")
    assert sum(int(row["joined_events"]) for row in rows) == 6
    assert deliveries.document["file_name"] == "deliveries-per-post.csv"
    posts = list(
        csv.DictReader(io.StringIO(uploaded(emulator, deliveries.document["file_id"]).decode()))
    )
    assert [(p["kind"], p["title"], p["total"], p["sent"]) for p in posts] == [
        ("breaking", "Flood warning", "5", "3"),
        ("article", "Fresh news", "6", "4"),
        ("article", "Old news", "2", "1"),
    ]
