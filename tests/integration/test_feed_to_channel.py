"""Feed to channel, end to end: the same code path as ``newsbot run``.

A real feed server, the real python-telegram-bot talking HTTP to the Bot API
emulator, and a real database (SQLite, and PostgreSQL in CI).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.models import Feed
from tests.feedgen import Item, items, rss
from tests.harness import running_bot, wait_until_polled

DATA = Path(__file__).parents[1] / "data"
CHANNEL_ID = -1001234567890
CHANNEL = "@almaty_news"


def feed_settings(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "feeds": [
            {"url": url, "name": "Almaty News", "channels": [CHANNEL], "interval": 1, **extra}
        ]
    }


def titles(emulator: Any, chat_id: int) -> list[str]:
    return [message.text.split("\n")[0] for message in emulator.messages(chat_id)]


async def test_existing_entries_are_not_posted_and_new_ones_are_posted_once_in_order(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    feed_server.put("/rss", rss(items("old", 5)))
    settings = feed_settings(feed_server.url("/rss"))
    async with running_bot(emulator, db_url, **settings) as bot:
        await wait_until_polled(bot)
        assert emulator.messages(CHANNEL_ID) == []

        feed_server.put("/rss", rss(items("old", 5) + items("new", 3, start=10)))
        await emulator.wait_for_messages(CHANNEL_ID, 3, timeout=10)
        assert titles(emulator, CHANNEL_ID) == ["New story 10", "New story 11", "New story 12"]

        polls = feed_server.hits("/rss")
        await emulator.wait_until(lambda: feed_server.hits("/rss") >= polls + 3, timeout=10)
        assert len(emulator.messages(CHANNEL_ID)) == 3
        assert feed_server.not_modified("/rss") >= 2  # an unchanged feed is answered with 304

    # A restart on the same database: re-polls find nothing new.
    async with running_bot(emulator, db_url, **settings):
        hits = feed_server.hits("/rss")
        await emulator.wait_until(lambda: feed_server.hits("/rss") >= hits + 2, timeout=10)
    assert titles(emulator, CHANNEL_ID) == ["New story 10", "New story 11", "New story 12"]


async def test_backfill_posts_the_newest_entries_of_a_new_feed(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    feed_server.put("/rss", rss(items("story", 6)))
    async with running_bot(emulator, db_url, **feed_settings(feed_server.url("/rss"), backfill=2)):
        await emulator.wait_for_messages(CHANNEL_ID, 2, timeout=10)
    assert titles(emulator, CHANNEL_ID) == ["Story story 4", "Story story 5"]


async def test_a_post_carries_title_summary_source_link_and_photo(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    feed_server.put_image("/img/photo.jpg", width=1200, height=675)
    item = Item(
        "un-1",
        "Kazakhstan reports to the UN Human Rights Council",
        summary="The Minister of Justice presented the national report in Geneva. "
        "It covers five years.",
        image=feed_server.url("/img/photo.jpg"),
        link=feed_server.url("/news/un-1"),
    )
    feed_server.put("/rss", rss([item]))
    async with running_bot(emulator, db_url, **feed_settings(feed_server.url("/rss"), backfill=1)):
        [post] = await emulator.wait_for_messages(CHANNEL_ID, 1, timeout=10)
    assert post.kind == "photo"
    assert post.photo["source"] in {"url", "upload"}
    assert post.text.startswith("Kazakhstan reports to the UN Human Rights Council")
    assert "presented the national report in Geneva" in post.text
    assert "<b>Kazakhstan reports to the UN Human Rights Council</b>" in post.html
    assert f'href="{feed_server.url("/news/un-1")}"' in post.html


async def test_a_broken_feed_is_recorded_and_backs_off(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    feed_server.put("/rss", b"<html><body>We moved!</body></html>", content_type="text/html")
    async with running_bot(emulator, db_url, **feed_settings(feed_server.url("/rss"))) as bot:
        await emulator.wait_until(lambda: feed_server.hits("/rss") >= 1, timeout=10)
        for _ in range(50):
            async with bot.services.sessions() as session:
                feed = await session.scalar(select(Feed))
            if feed is not None and feed.error_count:
                break
            await asyncio.sleep(0.05)
    assert feed is not None and feed.error_count >= 1
    assert feed.last_error and "not a feed" in feed.last_error
    assert feed.first_polled_at is None
    assert (feed.next_check_at - feed.last_checked_at).total_seconds() >= 2  # backed off
    assert feed_server.hits("/rss") == 1


async def test_a_long_description_without_a_picture_gets_the_pages_og_image(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    """A whole article in <description> and no picture: the page is read for its photo."""
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Almaty News")
    body = (DATA / "feeds" / "long_description.xml").read_bytes()
    feed_server.put(
        "/rss", body.replace(b"https://council.example.org", feed_server.base_url.encode())
    )
    feed_server.put(
        "/budget-debate",
        (DATA / "pages" / "og_image_relative.html").read_bytes(),
        "text/html; charset=utf-8",
    )
    feed_server.put_image("/media/2026/11/harvest-1200.jpg", width=1200, height=675)
    async with running_bot(emulator, db_url, **feed_settings(feed_server.url("/rss"), backfill=1)):
        [post] = await emulator.wait_for_messages(CHANNEL_ID, 1, timeout=10)
    assert post.kind == "photo"
    assert post.text.startswith("Budget debate runs late into the night")
    assert "Point 1: The regional council met for nine hours" in post.text  # the feed's own text
    assert feed_server.hits("/media/2026/11/harvest-1200.jpg") >= 1
