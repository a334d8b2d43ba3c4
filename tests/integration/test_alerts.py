"""Alerts from the outside: a feed that keeps failing and a channel that stops taking posts
each give the admins exactly one message, and exactly one more when they recover."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.newsroom.alerts import check_alerts, find_problems
from storage.db import utcnow
from storage.models import Alert, Feed
from tests.feedgen import items, rss
from tests.harness import RunningBot, running_bot, until

ADMIN = 6001
OTHER_ADMIN = 6002
CHANNEL_ID = -1009001
CHANNEL = "@wire"


def texts(emulator: Any, chat_id: int) -> list[str]:
    return [message.text for message in emulator.messages(chat_id)]


def alerts(emulator: Any, chat_id: int) -> list[str]:
    """Only the alerts: admins also hear of membership changes as they happen."""
    return [text for text in texts(emulator, chat_id) if text.startswith(("⚠️", "✅"))]


async def feed_state(bot: RunningBot) -> Feed:
    async with bot.services.sessions() as session:
        feed = await session.scalar(select(Feed))
    assert feed is not None
    return feed


async def check_repeatedly(bot: RunningBot, times: int = 5) -> None:
    """Several checks, two of them racing, as several ticks or processes would run them."""
    telegram = bot.newsbot.application.bot
    await asyncio.gather(check_alerts(telegram, bot.services), check_alerts(telegram, bot.services))
    for _ in range(times):
        await check_alerts(telegram, bot.services)


async def test_a_failing_feed_alerts_once_and_once_on_recovery(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    for admin in (ADMIN, OTHER_ADMIN):
        emulator.add_user(admin, "Admin", "en")
    feed_server.put("/rss", rss(items("s", 2)))
    settings = {
        "admins": [ADMIN, OTHER_ADMIN],
        "feeds": [{"url": feed_server.url("/rss"), "name": "Wire <Feed>", "interval": 1}],
        "alerts": {"feed_failing_after": 0},
        "polling": {"max_backoff": 1},
    }
    async with running_bot(emulator, db_url, **settings) as bot:

        async def polled_once() -> bool:
            return (await feed_state(bot)).first_polled_at is not None

        await until(polled_once)
        await check_repeatedly(bot)
        assert texts(emulator, ADMIN) == []  # healthy: nothing to say

        feed_server.fail("/rss", 500, times=10_000)

        async def failing() -> bool:
            return (await feed_state(bot)).error_count >= 2

        await until(failing)
        await check_repeatedly(bot)
        for admin in (ADMIN, OTHER_ADMIN):
            (alert,) = texts(emulator, admin)
            assert alert.startswith("⚠️ Feed #1 Wire <Feed> has been failing since ")
            assert alert.endswith(": HTTP 500 from " + feed_server.url("/rss"))

        feed_server.fail("/rss", 500, times=0)
        feed_server.put("/rss", rss(items("s", 3)))

        async def recovered() -> bool:
            return (await feed_state(bot)).error_count == 0

        await until(recovered)
        await check_repeatedly(bot)
        for admin in (ADMIN, OTHER_ADMIN):
            assert texts(emulator, admin)[1:] == ["✅ Feed #1 Wire <Feed> works again."]
        async with bot.services.sessions() as session:
            assert (await session.scalars(select(Alert))).all() == []


async def test_a_feed_failing_for_less_than_the_threshold_is_not_alerted(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    feed_server.fail("/rss", 500, times=10_000)
    settings = {
        "admins": [ADMIN],
        "feeds": [{"url": feed_server.url("/rss"), "interval": 1}],
        "alerts": {"feed_failing_after": 3600},
    }
    async with running_bot(emulator, db_url, **settings) as bot:

        async def failed() -> bool:
            return (await feed_state(bot)).error_count >= 1

        await until(failed)
        await check_repeatedly(bot)
    assert texts(emulator, ADMIN) == []


async def test_a_channel_that_removed_the_bot_alerts_once_and_once_when_back(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Wire")
    feed_server.put("/rss", rss(items("old", 2)))
    settings = {
        "admins": [ADMIN],
        "feeds": [{"url": feed_server.url("/rss"), "channels": [CHANNEL], "interval": 1}],
    }
    async with running_bot(emulator, db_url, **settings) as bot:

        async def polled_once() -> bool:
            return (await feed_state(bot)).first_polled_at is not None

        await until(polled_once)
        # The bot is removed while the update saying so is lost (the emulator queues none):
        # only the next post finds out.
        emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Wire", bot_status="kicked")
        feed_server.put("/rss", rss(items("old", 2) + items("new", 1, start=10)))

        async def channel_failing() -> bool:
            problems, _ = await find_problems(bot.services, utcnow())
            return any(key.startswith("channel:") for key in problems)

        await until(channel_failing)

        async def delivered_again() -> bool:
            return not await channel_failing()

        await check_repeatedly(bot)
        (alert,) = alerts(emulator, ADMIN)
        assert alert.startswith(f"⚠️ Channel {CHANNEL} stopped accepting posts: ")

        # An admin puts the bot back and adds the channel again.
        emulator.set_bot_status(CHANNEL_ID, "administrator")
        added = f"Channel {CHANNEL} added: posts will go there."
        emulator.send_text(ADMIN, f"/addchannel {CHANNEL}")
        await emulator.wait_until(lambda: added in texts(emulator, ADMIN), timeout=15)
        await check_repeatedly(bot)
        assert alerts(emulator, ADMIN) == [alert, f"✅ Channel {CHANNEL} accepts posts again."]
        feed_server.put("/rss", rss(items("old", 2) + items("new", 2, start=10)))
        await emulator.wait_for_messages(CHANNEL_ID, 1, timeout=15)
        await until(delivered_again)
        await check_repeatedly(bot)
        assert len(alerts(emulator, ADMIN)) == 2


async def test_a_removal_telegram_announced_is_told_once_not_alerted_again(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Wire")
    feed_server.put("/rss", rss(items("old", 2)))
    settings = {
        "admins": [ADMIN],
        "feeds": [{"url": feed_server.url("/rss"), "channels": [str(CHANNEL_ID)], "interval": 1}],
    }
    async with running_bot(emulator, db_url, **settings) as bot:
        emulator.set_bot_status(CHANNEL_ID, "kicked")  # Telegram sends my_chat_member

        def told() -> bool:
            return any("no longer post" in text for text in texts(emulator, ADMIN))

        await emulator.wait_until(told, timeout=15)
        await check_repeatedly(bot)
    assert alerts(emulator, ADMIN) == []
    assert len(texts(emulator, ADMIN)) == 1


async def test_the_running_bot_alerts_once_while_the_feed_keeps_failing(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    feed_server.fail("/rss", 500, times=10_000)
    settings = {
        "admins": [ADMIN],
        "feeds": [{"url": feed_server.url("/rss"), "interval": 1}],
        "alerts": {"feed_failing_after": 0},
    }
    async with running_bot(emulator, db_url, **settings):
        await emulator.wait_for_messages(ADMIN, 1, timeout=15)
        polls = feed_server.hits("/rss")
        # Many more ticks and another failed poll: still the one alert.
        await emulator.wait_until(lambda: feed_server.hits("/rss") >= polls + 1, timeout=15)
    assert len(alerts(emulator, ADMIN)) == 1
    assert "has been failing" in alerts(emulator, ADMIN)[0]


async def test_a_channel_whose_posts_fail_for_good_alerts_once(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_user(ADMIN, "Admin", "en")
    feed_server.put("/rss", rss(items("old", 1)))
    settings = {
        "admins": [ADMIN],
        "feeds": [{"url": feed_server.url("/rss"), "channels": ["@ghost"], "interval": 1}],
    }
    async with running_bot(emulator, db_url, **settings) as bot:

        async def polled_once() -> bool:
            return (await feed_state(bot)).first_polled_at is not None

        await until(polled_once)
        # Telegram knows no @ghost: every post to it fails for good ("chat not found").
        feed_server.put("/rss", rss(items("old", 1) + items("new", 2, start=10)))

        async def channel_failing() -> bool:
            problems, _ = await find_problems(bot.services, utcnow())
            return "channel:1" in problems

        await until(channel_failing)
        await check_repeatedly(bot)
    (alert,) = alerts(emulator, ADMIN)
    assert alert == "⚠️ Channel @ghost stopped accepting posts: Chat not found"


async def test_problems_past_five_are_told_in_one_counted_message_in_each_language(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    """Seven failing feeds: five alerts, then "2 more problems" in the admin's plural form."""
    emulator.add_user(ADMIN, "Admin", "en")
    emulator.add_user(OTHER_ADMIN, "Админ", "ru")
    for n in range(7):
        feed_server.fail(f"/rss{n}", 500, times=10_000)
    settings = {
        "admins": [ADMIN, OTHER_ADMIN],
        "feeds": [{"url": feed_server.url(f"/rss{n}"), "interval": 60} for n in range(7)],
        "alerts": {"feed_failing_after": 3600},
    }
    async with running_bot(emulator, db_url, **settings) as bot:
        emulator.send_text(OTHER_ADMIN, "/start")  # the bot learns the admin's language
        await emulator.wait_until(lambda: bool(emulator.messages(OTHER_ADMIN)), timeout=5)

        async def all_failed() -> bool:
            async with bot.services.sessions() as session:
                feeds = (await session.scalars(select(Feed))).all()
            return len(feeds) == 7 and all(feed.error_count >= 1 for feed in feeds)

        await until(all_failed)
        # All seven pass the threshold at once, so the bot's next check (one runs after
        # every scheduler tick) finds them together.
        async with bot.services.sessions.begin() as session:
            for feed in (await session.scalars(select(Feed))).all():
                feed.failing_since = utcnow() - timedelta(hours=2)
        await emulator.wait_until(lambda: len(alerts(emulator, OTHER_ADMIN)) >= 6, timeout=10)
        await check_repeatedly(bot)  # and later checks add nothing
    english, russian = alerts(emulator, ADMIN), alerts(emulator, OTHER_ADMIN)
    assert len(english) == len(russian) == 6
    assert english[-1].startswith("⚠️ 2 more problems: ")
    assert russian[-1].startswith("⚠️ Ещё 2 проблемы: ")
