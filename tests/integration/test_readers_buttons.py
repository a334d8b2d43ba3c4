"""Buttons that are stale, forged or pressed twice get a short answer, never an error."""

from __future__ import annotations

import pytest

from bot.i18n import translate
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from tests.feedgen import items
from tests.harness import running_bot
from tests.integration.test_readers_support import (
    WAIT,
    Conversation,
    button_data,
    labels,
    no_errors_logged,  # noqa: F401 (a fixture)
    topic_feeds,
    topics_of,
)


async def press_raw(reader: Conversation, message_id: int, data: str) -> dict[str, object]:
    """Press a button with any data (as an old client or a forger could); the answer."""
    emulator = reader.emulator
    answered = len(emulator.callback_answers)
    emulator.press_button(reader.user_id, reader.user_id, message_id, data, strict=False)
    await emulator.wait_until(lambda: len(emulator.callback_answers) > answered, timeout=WAIT)
    return emulator.callback_answers[-1]


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize(
    "data",
    [
        "r:t:weather",  # a topic no feed has (any more)
        "r:t:#0123456789abcdef",  # a hashed topic that matches nothing
        "r:lang:de",  # a language we do not speak
        "r:forget:maybe",
        "r:nonsense",
        "something:else:entirely",  # not ours at all
    ],
)
async def test_stale_or_forged_button_data_gets_a_polite_answer(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer, data: str
) -> None:
    feeds = topic_feeds(feed_server, {"sport": items("sport", 1)})
    emulator.add_user(401, language_code="kk")
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 401)
        menu = await reader.say("/topics")
        answer = await press_raw(reader, menu.message_id, data)
        assert answer["text"] == translate(
            "kk", "This button is out of date. Please send the command again."
        )
        assert await topics_of(bot, 401) == set()  # nothing changed
        assert emulator.message(401, menu.message_id).text == menu.text


@pytest.mark.usefixtures("no_errors_logged")
async def test_a_stale_topic_button_refreshes_the_menu(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    feeds = topic_feeds(feed_server, {"sport": items("sport", 1), "politics": items("p", 1)})
    emulator.add_user(402, language_code="en")
    async with running_bot(emulator, db_url, feeds=feeds):
        reader = Conversation(emulator, 402)
        menu = await reader.say("/topics")
        await press_raw(reader, menu.message_id, "r:t:weather")
        now = emulator.message(402, menu.message_id)
        assert labels(now) == ["All topics", "politics", "sport", "Done"]


@pytest.mark.usefixtures("no_errors_logged")
async def test_pressing_a_button_whose_result_is_already_shown_is_fine(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    """The edit is identical ("message is not modified"): the press is answered all the same."""
    feeds = topic_feeds(feed_server, {"sport": items("sport", 1)})
    emulator.add_user(403, language_code="ru")
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 403)
        welcome = await reader.say("/start")
        choose = button_data(welcome, "Выбрать темы")
        menu = await reader.press(welcome, choose)
        assert "sport" in labels(menu)
        answer = await press_raw(reader, welcome.message_id, choose)  # the same again
        assert not answer.get("text")
        assert emulator.message(403, menu.message_id).text == menu.text
        assert await topics_of(bot, 403) == set()


@pytest.mark.usefixtures("no_errors_logged")
async def test_forget_pressed_twice_finds_nothing_left(
    emulator: BotApiEmulator, db_url: str
) -> None:
    emulator.add_user(404, language_code="en")
    async with running_bot(emulator, db_url):
        reader = Conversation(emulator, 404)
        await reader.say("/start")
        question = await reader.say("/forget")
        done = await reader.press(question, "r:forget:yes")
        assert done.text.startswith("Done: I have forgotten you.")
        answer = await press_raw(reader, question.message_id, "r:forget:yes")
        assert not answer.get("text")
        assert emulator.message(404, question.message_id).text == "I store nothing about you."
