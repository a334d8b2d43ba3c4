"""Posts follow the article: a change at the source edits every copy the bot sent, once.

The real bot (scheduler, delivery worker and its editor) against the Bot API
emulator and the feed server, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.newsroom.stats.collect import collect_stats
from storage.db import utcnow
from storage.models import AuditEntry, Delivery, Edit, Feed, Post
from tests.feedgen import Item, rss
from tests.harness import RunningBot, running_bot

CHANNEL_ID = -1001234567890
CHANNEL = "@almaty_news"
READER = 4242

FIRST = Item("budget-1", "Parliament passes the budget", summary="The vote was 80 to 12.")
FIXED = Item("budget-1", "Parliament passes the 2027 budget", summary="The vote was 82 to 10.")


def settings(url: str, **post: Any) -> dict[str, Any]:
    return {
        "feeds": [{"url": url, "name": "Almaty News", "channels": [CHANNEL], "interval": 1}],
        "post": post,
    }


async def subscribe_reader(emulator: Any) -> None:
    emulator.add_user(READER, first_name="Aigerim", language_code="en")
    emulator.send_text(READER, "/start")
    emulator.send_text(READER, "/subscribe")
    await emulator.wait_for_messages(READER, 2, timeout=10)


async def posted(emulator: Any, bot: RunningBot, feed_server: Any, item: Item) -> None:
    """The feed, first seen empty, then carrying ``item``: posted to the channel and reader."""
    feed_server.put("/rss", rss([]))
    await wait_polled(bot, feed_server, 1)
    readers_before = len(emulator.messages(READER))
    feed_server.put("/rss", rss([item]))
    await emulator.wait_for_messages(CHANNEL_ID, 1, timeout=10)
    if readers_before:  # a reader subscribed (the bot answered them): they get it too
        await emulator.wait_for_messages(READER, readers_before + 1, timeout=10)


async def wait_polled(bot: RunningBot, feed_server: Any, times: int) -> None:
    hits = feed_server.hits("/rss")
    await bot.emulator.wait_until(lambda: feed_server.hits("/rss") >= hits + times, timeout=10)
    await asyncio.sleep(0.3)  # the poll's transaction and any edit it queued settle


async def edits(bot: RunningBot) -> list[Edit]:
    async with bot.services.sessions() as session:
        return list((await session.scalars(select(Edit).order_by(Edit.id))).all())


async def wait_edits_settled(bot: RunningBot, count: int) -> list[Edit]:
    for _ in range(200):
        found = await edits(bot)
        if len(found) >= count and all(e.status not in ("pending", "sending") for e in found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"edits never settled: {[(e.status, e.last_error) for e in found]}")


async def test_a_corrected_article_is_edited_in_every_chat_once(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    config = settings(feed_server.url("/rss"))
    async with running_bot(emulator, db_url, **config) as bot:
        await subscribe_reader(emulator)
        await posted(emulator, bot, feed_server, FIRST)
        feed_server.put("/rss", rss([FIXED]))
        settled = await wait_edits_settled(bot, 2)
        await wait_polled(bot, feed_server, 3)  # later polls see nothing new
        stats = await collect_stats(bot.services.sessions)
        async with bot.services.sessions() as session:
            audit = (await session.scalars(select(AuditEntry))).all()
        counted = bot.newsbot.telemetry.value("newsbot_edits_total")
    [channel_post] = emulator.messages(CHANNEL_ID)
    reader_post = emulator.messages(READER)[-1]
    for message in (channel_post, reader_post):
        assert message.text.startswith("Parliament passes the 2027 budget")
        assert "82 to 10" in message.text
        assert len(message.edits) == 1  # once per change, and no second post
    assert [e.status for e in settled] == ["edited", "edited"]
    assert (stats.edits.edited, stats.edits.pending) == (2, 0)
    assert counted == 2  # /metrics' newsbot_edits_total
    [entry] = [a for a in audit if a.action == "updated"]
    assert entry.chats == 2 and entry.detail is not None and "edited=2" in entry.detail

    # A restart on the same database repeats nothing.
    async with running_bot(emulator, db_url, **config) as bot:
        await wait_polled(bot, feed_server, 2)
    assert len(emulator.messages(CHANNEL_ID)[0].edits) == 1


async def test_a_new_photo_is_put_in_place_with_edit_message_media(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    feed_server.put_image("/img/old.jpg", 1200, 675, color=(10, 60, 120))
    feed_server.put_image("/img/new.jpg", 1200, 675, color=(160, 40, 40))
    before = Item("p-1", "Floods in Atyrau", image=feed_server.url("/img/old.jpg"))
    after = Item("p-1", "Floods in Atyrau", image=feed_server.url("/img/new.jpg"))
    async with running_bot(emulator, db_url, **settings(feed_server.url("/rss"))) as bot:
        await posted(emulator, bot, feed_server, before)
        feed_server.put("/rss", rss([after]))
        [edit] = await wait_edits_settled(bot, 1)
    [message] = emulator.messages(CHANNEL_ID)
    assert edit.status == "edited" and edit.new_photo
    assert message.kind == "photo" and message.photo is not None
    assert message.photo["url"] == feed_server.url("/img/new.jpg")
    assert message.edits[0].photo is not None
    assert message.edits[0].photo["file_id"] != message.photo["file_id"]


async def test_after_48_hours_nothing_is_edited_and_it_is_logged(
    emulator: Any, feed_server: Any, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    async with running_bot(emulator, db_url, **settings(feed_server.url("/rss"))) as bot:
        await posted(emulator, bot, feed_server, FIRST)
        async with bot.services.sessions.begin() as session:
            old = utcnow() - timedelta(hours=49)
            await session.execute(update(Post).values(published_at=old))
            await session.execute(update(Delivery).values(sent_at=old))
        with caplog.at_level(logging.INFO, logger="bot.feeds.refresh"):
            feed_server.put("/rss", rss([FIXED]))
            await wait_polled(bot, feed_server, 2)
        assert await edits(bot) == []
    [message] = emulator.messages(CHANNEL_ID)
    assert message.edits == [] and message.text.startswith("Parliament passes the budget")
    assert "article changed after 48 h, not edited" in caplog.text


async def test_an_entry_that_leaves_the_feed_changes_nothing(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    async with running_bot(emulator, db_url, **settings(feed_server.url("/rss"))) as bot:
        await posted(emulator, bot, feed_server, FIRST)
        feed_server.put("/rss", rss([]))
        await wait_polled(bot, feed_server, 2)
        assert await edits(bot) == []
    [message] = emulator.messages(CHANNEL_ID)
    assert message.edits == [] and not message.deleted


async def test_follow_updates_off_leaves_posts_as_they_were(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    config = settings(feed_server.url("/rss"), follow_updates=False)
    async with running_bot(emulator, db_url, **config) as bot:
        await posted(emulator, bot, feed_server, FIRST)
        feed_server.put("/rss", rss([FIXED]))
        await wait_polled(bot, feed_server, 2)
        assert await edits(bot) == []
    assert emulator.messages(CHANNEL_ID)[0].edits == []


async def test_a_reader_who_blocked_the_bot_is_marked_and_the_channel_still_edited(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    async with running_bot(emulator, db_url, **settings(feed_server.url("/rss"))) as bot:
        await subscribe_reader(emulator)
        await posted(emulator, bot, feed_server, FIRST)
        emulator.block(READER)
        feed_server.put("/rss", rss([FIXED]))
        settled = await wait_edits_settled(bot, 2)
        async with bot.services.sessions() as session:
            feed = await session.scalar(select(Feed))
    assert feed is not None
    assert sorted(e.status for e in settled) == ["edited", "skipped"]
    assert emulator.messages(CHANNEL_ID)[0].text.startswith("Parliament passes the 2027 budget")
    assert "blocked" in (next(e.last_error for e in settled if e.status == "skipped") or "")


async def test_an_edit_left_in_flight_by_a_dead_process_is_made_once(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    config = settings(feed_server.url("/rss"))
    async with running_bot(emulator, db_url, **config) as bot:
        await posted(emulator, bot, feed_server, FIRST)
        feed_server.put("/rss", rss([FIXED]))
        assert [e.status for e in await wait_edits_settled(bot, 1)] == ["edited"]
        # As if the process died after Telegram took the edit, before it was recorded.
        async with bot.services.sessions.begin() as session:
            await session.execute(
                update(Edit).values(
                    status="sending",
                    claimed_by="dead-worker",
                    claimed_at=utcnow() - timedelta(hours=1),
                    done_at=None,
                )
            )
        [again] = await wait_edits_settled(bot, 1)
    assert again.status == "edited" and again.attempts == 2  # "not modified": it had landed
    assert len(emulator.messages(CHANNEL_ID)[0].edits) == 1
