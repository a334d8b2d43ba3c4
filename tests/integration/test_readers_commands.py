"""Each reader command in each language, through the emulator, on SQLite and PostgreSQL.

The reader is a user the emulator knows, with Telegram's ``language_code``;
what they see is what the emulator recorded, and what the bot stored is read
back from the database.
"""

from __future__ import annotations

import re

import pytest
from telegram import Bot

from bot.handlers import editors
from bot.handlers.admins import registration as admins
from bot.handlers.readers.menu import COMMANDS, publish_command_menus
from bot.i18n import translate
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from tests.feedgen import items
from tests.harness import TOKEN, running_bot
from tests.integration.test_readers_support import (
    Conversation,
    button_data,
    events,
    labels,
    no_errors_logged,  # noqa: F401 (a fixture)
    reader_row,
    topic_feeds,
    topics_of,
)

LANGUAGES = ["en", "ru", "kk"]
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
# A few words each language must really use, so a catalog that silently fell
# back to English (or copied it) is caught.
WELCOME = {
    "en": ("Hello!", "All topics", "Choose topics"),
    "ru": ("Здравствуйте!", "Все темы", "Выбрать темы"),
    "kk": ("Сәлеметсіз бе!", "Барлық тақырып", "Тақырыптарды таңдау"),
}


def in_language(text: str, language: str) -> bool:
    """Russian and Kazakh answers are written in Cyrillic; English ones are not."""
    return bool(CYRILLIC.search(text)) == (language != "en")


@pytest.fixture
def feeds(feed_server: FeedServer) -> list[dict[str, object]]:
    return topic_feeds(feed_server, {"politics": items("politics", 2), "sport": items("sport", 2)})


@pytest.mark.parametrize("language", LANGUAGES)
async def test_start_welcomes_a_new_reader_in_their_language(
    emulator: BotApiEmulator, db_url: str, language: str
) -> None:
    emulator.add_user(101, language_code=language)
    async with running_bot(emulator, db_url) as bot:
        reply = await Conversation(emulator, 101).say("/start")
        greeting, all_topics, choose = WELCOME[language]
        assert reply.text.startswith(greeting)
        assert labels(reply) == [all_topics, choose]
        chat = await reader_row(bot, 101)
        assert chat is not None
        assert (chat.kind, chat.language, chat.status) == ("private", language, "active")
        assert await events(bot, 101) == ["joined"]
        assert await topics_of(bot, 101) == set()


async def test_an_unknown_telegram_language_gets_english(
    emulator: BotApiEmulator, db_url: str
) -> None:
    emulator.add_user(102, language_code="de-DE")
    async with running_bot(emulator, db_url) as bot:
        reply = await Conversation(emulator, 102).say("/start")
        assert reply.text.startswith("Hello!")
        chat = await reader_row(bot, 102)
        assert chat is not None and chat.language == "en"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_subscribe_to_everything_then_one_topic_and_an_unknown_one(
    emulator: BotApiEmulator, db_url: str, feeds: list[dict[str, object]], language: str
) -> None:
    emulator.add_user(103, language_code=language)
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 103)

        reply = await reader.say("/subscribe sport")
        assert reply.text.startswith(
            translate(language, "You are now subscribed to {topic}.", topic="sport")
        )
        assert in_language(reply.text, language)
        assert await topics_of(bot, 103) == {"sport"}

        reply = await reader.say("/subscribe weather")
        assert translate(language, "There is no topic “{topic}”.", topic="weather") in reply.text
        assert "politics" in reply.text and "sport" in reply.text  # the valid ones
        assert await topics_of(bot, 103) == {"sport"}

        reply = await reader.say("/subscribe")
        assert reply.text.startswith(translate(language, "You are now subscribed to every topic."))
        assert await topics_of(bot, 103) == {"*"}

        reply = await reader.say("/subscribe POLITICS")  # any case; already covered by "all"
        assert reply.text.startswith(translate(language, "You were already subscribed to that."))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_unsubscribe_one_topic_then_everything(
    emulator: BotApiEmulator, db_url: str, feeds: list[dict[str, object]], language: str
) -> None:
    emulator.add_user(104, language_code=language)
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 104)
        await reader.say("/subscribe")

        reply = await reader.say("/unsubscribe politics")  # out of "all": the rest stays
        assert reply.text.startswith(
            translate(language, "You are unsubscribed from {topic}.", topic="politics")
        )
        assert in_language(reply.text, language)
        assert await topics_of(bot, 104) == {"sport"}

        reply = await reader.say("/unsubscribe politics")
        assert reply.text.startswith(
            translate(language, "You were not subscribed to {topic}.", topic="politics")
        )

        reply = await reader.say("/unsubscribe")
        assert reply.text == translate(
            language, "You will receive no more news. Send /subscribe whenever you want it back."
        )
        assert await topics_of(bot, 104) == set()
        chat = await reader_row(bot, 104)
        assert chat is not None and chat.status == "left"

        await reader.say("/subscribe sport")  # back again
        chat = await reader_row(bot, 104)
        assert chat is not None and chat.status == "active"
        assert await events(bot, 104) == ["joined", "left", "returned"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_stop_unsubscribes_from_everything(
    emulator: BotApiEmulator, db_url: str, feeds: list[dict[str, object]], language: str
) -> None:
    emulator.add_user(105, language_code=language)
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 105)
        await reader.say("/subscribe politics")
        await reader.say("/subscribe sport")

        reply = await reader.say("/stop")
        assert reply.text == translate(
            language, "You will receive no more news. Send /subscribe whenever you want it back."
        )
        assert in_language(reply.text, language)
        assert await topics_of(bot, 105) == set()
        chat = await reader_row(bot, 105)
        assert chat is not None and chat.status == "left"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_topics_shows_buttons_that_toggle_in_place(
    emulator: BotApiEmulator, db_url: str, feeds: list[dict[str, object]], language: str
) -> None:
    emulator.add_user(106, language_code=language)
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 106)
        menu = await reader.say("/topics")
        all_topics, done = translate(language, "All topics"), translate(language, "Done")
        assert labels(menu) == [all_topics, "politics", "sport", done]
        assert translate(language, "You receive no news at the moment.") in menu.text

        menu = await reader.press(menu, button_data(menu, "sport"))
        assert labels(menu) == [all_topics, "politics", "✅ sport", done]
        assert "sport" in menu.text and in_language(menu.text, language)
        assert await topics_of(bot, 106) == {"sport"}
        assert len(emulator.messages(106)) == 1  # edited, not a new message

        menu = await reader.press(menu, button_data(menu, all_topics))
        assert labels(menu) == [f"✅ {all_topics}", "✅ politics", "✅ sport", done]
        assert await topics_of(bot, 106) == {"*"}

        menu = await reader.press(menu, button_data(menu, "politics"))
        assert labels(menu) == [all_topics, "politics", "✅ sport", done]
        assert await topics_of(bot, 106) == {"sport"}

        menu = await reader.press(menu, button_data(menu, done))
        assert menu.buttons() == []
        assert translate(language, "You receive news on: {topics}.", topics="sport") in menu.text


@pytest.mark.parametrize(("start", "choice"), [("en", "ru"), ("ru", "kk"), ("kk", "en")])
async def test_language_buttons_switch_and_answer_in_the_new_language(
    emulator: BotApiEmulator, db_url: str, start: str, choice: str
) -> None:
    emulator.add_user(107, language_code=start)
    async with running_bot(emulator, db_url) as bot:
        reader = Conversation(emulator, 107)
        menu = await reader.say("/language")
        assert menu.text == translate(start, "Choose your language:")
        assert labels(menu) == ["English", "Русский", "Қазақша"]

        menu = await reader.press(menu, f"r:lang:{choice}")
        assert menu.text == translate(choice, "From now on I speak English with you.")
        assert in_language(menu.text, choice)
        chat = await reader_row(bot, 107)
        assert chat is not None and chat.language == choice

        reply = await reader.say("/help")  # and it stays so
        assert reply.text.startswith(
            translate(
                choice,
                "I send news from the newsroom's feeds to this chat, on the topics you choose.",
            )
        )


async def test_language_can_be_given_as_an_argument(emulator: BotApiEmulator, db_url: str) -> None:
    emulator.add_user(108, language_code="en")
    async with running_bot(emulator, db_url) as bot:
        reply = await Conversation(emulator, 108).say("/language kk")
        assert reply.text == "Енді сізбен қазақша сөйлесемін."
        chat = await reader_row(bot, 108)
        assert chat is not None and chat.language == "kk"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_lists_the_readers_commands(
    emulator: BotApiEmulator, db_url: str, language: str
) -> None:
    emulator.add_user(109, language_code=language)
    async with running_bot(emulator, db_url):
        reply = await Conversation(emulator, 109).say("/help")
        for command in ("start", "subscribe", "unsubscribe", "topics", "language", "help", "stop"):
            assert f"/{command} — " in reply.text
        assert in_language(reply.text, language)
        for command, _ in (*editors.COMMANDS, *admins.COMMANDS):
            assert f"/{command} — " not in reply.text


async def test_help_adds_what_an_admin_may_use(emulator: BotApiEmulator, db_url: str) -> None:
    emulator.add_user(900, language_code="ru")
    async with running_bot(emulator, db_url, admins=[900]):
        reply = await Conversation(emulator, 900).say("/help")
        for command, description in (*editors.COMMANDS, *admins.COMMANDS):
            assert f"/{command} — {translate('ru', description)}" in reply.text
        assert "/subscribe — " in reply.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_forget_asks_first_then_deletes_the_reader(
    emulator: BotApiEmulator, db_url: str, feeds: list[dict[str, object]], language: str
) -> None:
    emulator.add_user(110, language_code=language)
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 110)
        await reader.say("/subscribe sport")

        question = await reader.say("/forget")
        assert in_language(question.text, language)
        assert labels(question) == [
            translate(language, "Yes, delete"),
            translate(language, "Cancel"),
        ]
        kept = await reader.press(question, "r:forget:no")
        assert kept.text == translate(language, "Nothing was deleted.")
        assert await topics_of(bot, 110) == {"sport"}

        question = await reader.say("/forget")
        done = await reader.press(question, "r:forget:yes")
        assert done.text == translate(
            language, "Done: I have forgotten you. If you write to me again, you start afresh."
        )
        assert await reader_row(bot, 110) is None
        assert await topics_of(bot, 110) == set()
        # The history keeps only counts: the reader's events are no longer tied to anyone.
        assert await events(bot, None) == ["joined", "forgot"]


@pytest.mark.usefixtures("no_errors_logged")
@pytest.mark.parametrize("language", LANGUAGES)
async def test_unknown_commands_and_plain_text_get_a_hint(
    emulator: BotApiEmulator, db_url: str, language: str
) -> None:
    emulator.add_user(111, language_code=language)
    async with running_bot(emulator, db_url):
        reader = Conversation(emulator, 111)
        reply = await reader.say("/weather tomorrow")
        assert reply.text == translate(
            language, "I don't know that command. Send /help to see what I can do."
        )
        reply = await reader.say("hello, is anyone there?")
        assert reply.text == translate(
            language,
            "I understand commands only. Send /help to see them, or /topics to choose your news.",
        )
        assert in_language(reply.text, language)


async def test_the_command_menus_are_published_in_each_language(emulator: BotApiEmulator) -> None:
    bot = Bot(TOKEN, base_url=f"{emulator.api_root}/bot")
    async with bot:
        await publish_command_menus(bot)
    default = emulator.commands()
    assert [item["command"] for item in default] == [name for name, _ in COMMANDS]
    assert default[0]["description"] == "Start, and choose what to receive"
    assert (
        emulator.commands(language_code="ru")[0]["description"] == "Начать и выбрать, что получать"
    )
    kk = emulator.commands(language_code="kk")
    assert kk[-1] == {"command": "forget", "description": "Сіз туралы сақтағанымның бәрін жою"}
