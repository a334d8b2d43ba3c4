"""Readers get what they chose, and only that: topic filtering of real deliveries, and a
new user's whole journey in each language (start, choose topics, receive, leave)."""

from __future__ import annotations

import pytest

from bot.i18n import translate
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from tests.feedgen import Item
from tests.harness import running_bot, wait_until_polled
from tests.integration.test_readers_support import (
    Conversation,
    Newsroom,
    button_data,
    events,
    labels,
    reader_row,
    texts,
    topics_of,
    wait_for_story,
    wait_until_fetched_again,
    wait_until_queue_empty,
)

OLD = {"politics": [Item("p-0", "Old politics")], "sport": [Item("s-0", "Old sport")]}


def received(emulator: BotApiEmulator, chat_id: int, title: str) -> int:
    return sum(title in text for text in texts(emulator, chat_id))


async def test_articles_reach_only_readers_of_their_topic_or_of_every_topic(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    newsroom = Newsroom(feed_server, OLD)
    readers = {301: "/subscribe politics", 302: "/subscribe", 303: "/subscribe sport", 304: None}
    for user in readers:
        emulator.add_user(user)
    async with running_bot(emulator, db_url, feeds=newsroom.feeds) as bot:
        for user, command in readers.items():
            await Conversation(emulator, user).say(command or "/start")
        await wait_until_polled(bot, 2)

        newsroom.publish("politics", "p-1", "Parliament passes the budget")
        await wait_for_story(bot, "Parliament passes the budget", 301, 302)
        assert received(emulator, 301, "Parliament passes the budget") == 1
        assert received(emulator, 302, "Parliament passes the budget") == 1
        assert received(emulator, 303, "Parliament passes the budget") == 0
        assert received(emulator, 304, "Parliament passes the budget") == 0  # started, no topic

        # A topic change takes effect for the next article.
        await Conversation(emulator, 301).say("/subscribe sport")
        await Conversation(emulator, 302).say("/unsubscribe sport")
        newsroom.publish("sport", "s-1", "Astana wins the cup")
        await wait_for_story(bot, "Astana wins the cup", 301, 303)
        assert received(emulator, 301, "Astana wins the cup") == 1
        assert received(emulator, 303, "Astana wins the cup") == 1
        assert received(emulator, 302, "Astana wins the cup") == 0
        assert received(emulator, 304, "Astana wins the cup") == 0
        # Nothing old was posted: the entries already in the feeds were only recorded.
        for user in readers:
            assert received(emulator, user, "Old politics") == 0
            assert received(emulator, user, "Old sport") == 0


JOURNEY = {
    "en": ("Choose topics", "Done", "You will receive no more news."),
    "ru": ("Выбрать темы", "Готово", "Вы больше не будете получать новости."),
    "kk": ("Тақырыптарды таңдау", "Дайын", "Сіз енді жаңалық алмайсыз."),
}


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
async def test_a_new_reader_subscribes_chooses_receives_only_that_and_leaves(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer, language: str
) -> None:
    choose, done, stopped = JOURNEY[language]
    emulator.add_user(310, first_name="Aigerim", language_code=language)
    newsroom = Newsroom(feed_server, OLD)
    async with running_bot(emulator, db_url, feeds=newsroom.feeds) as bot:
        reader = Conversation(emulator, 310)
        welcome = await reader.say("/start")
        menu = await reader.press(welcome, button_data(welcome, choose))
        assert "sport" in labels(menu)
        menu = await reader.press(menu, button_data(menu, "sport"))
        summary = await reader.press(menu, button_data(menu, done))
        assert "sport" in summary.text and summary.buttons() == []
        assert await topics_of(bot, 310) == {"sport"}
        await wait_until_polled(bot, 2)

        newsroom.publish("politics", "p-9", "Not for this reader")
        newsroom.publish("sport", "s-9", "Barys beats Avangard")
        await wait_for_story(bot, "Barys beats Avangard", 310)
        assert received(emulator, 310, "Barys beats Avangard") == 1
        assert received(emulator, 310, "Not for this reader") == 0

        goodbye = await reader.say("/stop")
        assert goodbye.text.startswith(stopped)
        newsroom.publish("sport", "s-10", "After the reader left")
        await wait_until_fetched_again(feed_server, "/sport.xml")
        await wait_until_queue_empty(bot)
        assert received(emulator, 310, "After the reader left") == 0
        chat = await reader_row(bot, 310)
        assert chat is not None and chat.status == "left"
        assert await events(bot, 310) == ["joined", "left"]


async def test_the_all_topics_button_on_the_welcome_subscribes_to_everything(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    emulator.add_user(311, language_code="ru")
    async with running_bot(emulator, db_url, feeds=Newsroom(feed_server, OLD).feeds) as bot:
        reader = Conversation(emulator, 311)
        welcome = await reader.say("/start")
        after = await reader.press(welcome, button_data(welcome, "Все темы"))
        assert after.text.startswith(translate("ru", "You are now subscribed to every topic."))
        assert after.buttons() == []
        assert await topics_of(bot, 311) == {"*"}
