"""The chat's life from Telegram's my_chat_member updates: readers who block and unblock
the bot, channels and groups the bot is added to or removed from."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from storage.models import Chat
from tests.feedgen import Item, items
from tests.harness import RunningBot, running_bot, wait_until_polled
from tests.integration.test_readers_support import (
    WAIT,
    Conversation,
    Newsroom,
    events,
    no_errors_logged,  # noqa: F401 (a fixture)
    reader_row,
    texts,
    topic_feeds,
    topics_of,
    wait_for_story,
    wait_until_fetched_again,
    wait_until_queue_empty,
)

ADMIN = 900


async def channel_row(bot: RunningBot, telegram_id: int) -> Chat | None:
    async with bot.services.sessions() as session:
        return await session.scalar(select(Chat).where(Chat.telegram_id == telegram_id))


async def wait_for_status(bot: RunningBot, telegram_id: int, status: str) -> Chat:
    """Until the chat has ``status`` (a my_chat_member update has no reply to wait for)."""
    found: Chat | None = None

    async def reached() -> bool:
        nonlocal found
        found = await channel_row(bot, telegram_id)
        return found is not None and found.status == status

    deadline = asyncio.get_running_loop().time() + WAIT
    while not await reached():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"chat {telegram_id} never reached {status}: {found and found.status}"
            )
        await asyncio.sleep(0.02)
    assert found is not None
    return found


async def test_a_reader_who_blocks_is_marked_and_unblocking_keeps_their_topics(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    feeds = topic_feeds(feed_server, {"sport": items("sport", 1)})
    emulator.add_user(201, language_code="ru")
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        await Conversation(emulator, 201).say("/subscribe sport")

        emulator.block(201)
        await wait_for_status(bot, 201, "blocked")
        assert await topics_of(bot, 201) == {"sport"}

        emulator.unblock(201)
        await wait_for_status(bot, 201, "active")
        assert await topics_of(bot, 201) == {"sport"}
        assert await events(bot, 201) == ["joined", "blocked", "unblocked"]


async def test_a_blocked_reader_gets_no_articles_until_they_unblock(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    newsroom = Newsroom(feed_server, {"sport": [Item("s-1", "Old sport story")]})
    emulator.add_user(202, language_code="en")
    emulator.add_user(203, language_code="en")
    async with running_bot(emulator, db_url, feeds=newsroom.feeds) as bot:
        for user in (202, 203):
            await Conversation(emulator, user).say("/subscribe sport")
        await wait_until_polled(bot, 1)
        emulator.block(202)
        await wait_for_status(bot, 202, "blocked")

        newsroom.publish("sport", "s-2", "Blocked readers miss this")
        await wait_for_story(bot, "Blocked readers miss this", 203)
        assert not any("Blocked readers miss this" in text for text in texts(emulator, 202))

        emulator.unblock(202)
        await wait_for_status(bot, 202, "active")
        newsroom.publish("sport", "s-3", "Back in time for this")
        await wait_for_story(bot, "Back in time for this", 202, 203)
        assert not any("Blocked readers miss this" in text for text in texts(emulator, 202))


async def test_start_after_a_block_brings_the_reader_back_with_their_topics(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    feeds = topic_feeds(feed_server, {"sport": items("sport", 1), "politics": items("p", 1)})
    emulator.add_user(204, language_code="kk")
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 204)
        await reader.say("/subscribe politics")
        emulator.block(204)
        await wait_for_status(bot, 204, "blocked")

        # Unblocking and pressing Start: Telegram sends my_chat_member, then /start.
        emulator.unblock(204)
        reply = await reader.say("/start")
        assert reply.text.startswith("Қайта қош келдіңіз!")
        assert "politics" in reply.text
        chat = await reader_row(bot, 204)
        assert chat is not None and chat.status == "active"
        assert await topics_of(bot, 204) == {"politics"}


async def test_a_listed_channel_is_registered_when_the_bot_becomes_its_admin(
    emulator: BotApiEmulator, db_url: str
) -> None:
    emulator.add_user(ADMIN, language_code="en")
    emulator.add_channel(-100501, username="@daily", title="Daily News", bot_status="left")
    async with running_bot(emulator, db_url, admins=[ADMIN], channels=["@daily"]) as bot:
        before = await wait_for_status_by_name(bot, "daily")
        assert before.telegram_id is None  # known by name only, until Telegram tells more

        emulator.set_bot_status(-100501, "administrator", can_post_messages=True)
        await emulator.wait_for_messages(ADMIN, 1, timeout=WAIT)
        chat = await wait_for_status(bot, -100501, "active")
        assert (chat.id, chat.kind, chat.title, chat.is_target) == (
            before.id, "channel", "Daily News", True,
        )  # fmt: skip
        assert texts(emulator, ADMIN) == ["I can post in Daily News now: posts go there."]


async def wait_for_status_by_name(bot: RunningBot, username: str) -> Chat:
    async with bot.services.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.username == username))
    assert chat is not None
    return chat


async def test_an_unlisted_channel_is_recorded_but_not_targeted_and_admins_are_told(
    emulator: BotApiEmulator, db_url: str
) -> None:
    emulator.add_user(ADMIN, language_code="ru")
    emulator.add_channel(-100502, username="@elsewhere", title="Elsewhere", bot_status="left")
    async with running_bot(emulator, db_url, admins=[ADMIN]) as bot:
        await Conversation(emulator, ADMIN).say("/start")  # the bot learns the admin's language
        emulator.set_bot_status(-100502, "administrator", can_post_messages=True)
        await emulator.wait_for_messages(ADMIN, 2, timeout=WAIT)
        chat = await wait_for_status(bot, -100502, "active")
        assert (chat.is_target, chat.username, chat.title) == (False, "elsewhere", "Elsewhere")
        assert texts(emulator, ADMIN)[1] == (
            "Меня добавили в Elsewhere. Публикации туда пока не идут: "
            "отправьте /addchannel @elsewhere, чтобы публиковать там."
        )
        assert await events(bot, -100502) == ["joined"]


async def test_a_channel_admin_without_posting_rights_is_not_registered(
    emulator: BotApiEmulator, db_url: str
) -> None:
    emulator.add_user(ADMIN)
    emulator.add_channel(-100503, username="@readonly", title="Read only", bot_status="left")
    async with running_bot(emulator, db_url, admins=[ADMIN], channels=["@readonly"]) as bot:
        emulator.set_bot_status(-100503, "administrator", can_post_messages=False)
        emulator.set_bot_status(-100503, "administrator", can_post_messages=True)
        await emulator.wait_for_messages(ADMIN, 1, timeout=WAIT)
        # Only the second change (posting rights given) counted.
        assert texts(emulator, ADMIN) == ["I can post in Read only now: posts go there."]
        assert (await wait_for_status(bot, -100503, "active")).is_target


async def test_a_channel_that_removes_the_bot_stops_getting_posts_and_admins_are_told(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    newsroom = Newsroom(feed_server, {"wire": [Item("c-1", "Old story")]})
    feed = {**newsroom.feeds[0], "channels": ["@wire"]}
    emulator.add_user(ADMIN)
    emulator.add_channel(-100504, username="@wire", title="The Wire", bot_status="left")
    async with running_bot(emulator, db_url, admins=[ADMIN], feeds=[feed]) as bot:
        emulator.set_bot_status(-100504, "administrator", can_post_messages=True)
        await emulator.wait_for_messages(ADMIN, 1, timeout=WAIT)
        await wait_until_polled(bot, 1)
        newsroom.publish("wire", "c-2", "Posted while the bot is in")
        await wait_for_story(bot, "Posted while the bot is in", -100504)

        emulator.set_bot_status(-100504, "left")
        await emulator.wait_for_messages(ADMIN, 2, timeout=WAIT)
        chat = await wait_for_status(bot, -100504, "left")
        assert texts(emulator, ADMIN)[1] == (
            "I can no longer post in The Wire: posting there has stopped."
        )
        assert await events(bot, -100504) == ["joined", "left"]
        assert chat.is_target  # still listed: adding the bot back resumes posting

        newsroom.publish("wire", "c-3", "Not for a channel the bot left")
        await wait_until_fetched_again(feed_server, "/wire.xml")
        await wait_until_queue_empty(bot)
        assert len(emulator.messages(-100504)) == 1


async def test_demoting_the_bot_in_a_channel_counts_as_leaving(
    emulator: BotApiEmulator, db_url: str
) -> None:
    emulator.add_user(ADMIN)
    emulator.add_channel(-100505, username="@demoted", title="Demoted", bot_status="left")
    async with running_bot(emulator, db_url, admins=[ADMIN], channels=["@demoted"]) as bot:
        emulator.set_bot_status(-100505, "administrator", can_post_messages=True)
        await wait_for_status(bot, -100505, "active")
        emulator.set_bot_status(-100505, "administrator", can_post_messages=False)
        await wait_for_status(bot, -100505, "left")
        await emulator.wait_for_messages(ADMIN, 2, timeout=WAIT)
        emulator.set_bot_status(-100505, "administrator", can_post_messages=True)
        chat = await wait_for_status(bot, -100505, "active")
        assert chat.is_target
        assert await events(bot, -100505) == ["joined", "left", "joined"]


@pytest.mark.usefixtures("no_errors_logged")
async def test_reader_commands_in_a_group_point_to_a_private_chat(
    emulator: BotApiEmulator, db_url: str
) -> None:
    emulator.add_user(205, language_code="ru")
    emulator.add_group(-300, title="Newsroom chat")
    async with running_bot(emulator, db_url) as bot:
        emulator.send_text(205, "/subscribe@newsbot_test_bot", chat_id=-300)
        [reply] = await emulator.wait_for_messages(-300, 1, timeout=WAIT)
        assert reply.text == "Это работает в личном чате со мной: https://t.me/newsbot_test_bot"
        assert await reader_row(bot, 205) is None  # nobody was subscribed from the group

        # Small talk in the group and commands for other bots get no answer.
        emulator.send_text(205, "good morning everyone", chat_id=-300)
        emulator.send_text(205, "/weather@other_bot", chat_id=-300)
        emulator.send_text(205, "/weather@newsbot_test_bot", chat_id=-300)
        await emulator.wait_for_messages(-300, 2, timeout=WAIT)
        assert len(emulator.messages(-300)) == 2
