"""A trilingual outlet: readers get the editions they chose (or their language's), entries are
filed by their own categories, topics go by their names in each language, and counted
messages take the plural form each language uses. Through the emulator and the feed
server, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from storage.models import Feed, Post
from tests.feedgen import Item, rss
from tests.harness import running_bot, wait_until_polled
from tests.integration.test_readers_support import (
    Conversation,
    button_data,
    labels,
    texts,
    wait_for_story,
    wait_until_fetched_again,
    wait_until_queue_empty,
)

CHANNEL = -100777


@dataclass
class Outlet:
    """One feed per edition on the feed server; each publishes with its own categories."""

    server: FeedServer
    declared: dict[str, str | None]  # edition -> the <language> its feed declares
    entries: dict[str, list[Item]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for edition in self.declared:
            self.entries[edition] = [Item(f"{edition}-old", f"Old {edition} story")]
            self._serve(edition)

    def _serve(self, edition: str) -> None:
        body = rss(self.entries[edition], title=f"News {edition}", language=self.declared[edition])
        self.server.put(f"/{edition}.xml", body)

    def url(self, edition: str) -> str:
        return self.server.url(f"/{edition}.xml")

    def publish(self, edition: str, guid: str, title: str, *categories: str) -> None:
        entries = self.entries[edition]
        link = self.server.url(f"/news/{guid}")
        entries.append(Item(guid, title, minutes=len(entries), link=link, categories=categories))
        self._serve(edition)


def received(emulator: BotApiEmulator, chat_id: int, title: str) -> bool:
    return any(title in text for text in texts(emulator, chat_id))


def feed(outlet: Outlet, edition: str, **values: Any) -> dict[str, Any]:
    return {"url": outlet.url(edition), "name": f"News {edition}", "interval": 1, **values}


async def test_readers_get_their_languages_edition_by_default_and_channels_their_feeds(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    # en: no <language>, no setting -> [post] language (en); ru: set in the settings
    # although the feed says otherwise; kk: the feed's own <language>.
    outlet = Outlet(feed_server, {"en": None, "ru": "en-US", "kk": "kk-KZ"})
    feeds = [
        feed(outlet, "en"),
        feed(outlet, "ru", language="ru", channels=[str(CHANNEL)]),
        feed(outlet, "kk"),
    ]
    emulator.add_channel(CHANNEL, username=None, title="Новости")
    readers = {501: "en", 502: "ru", 503: "kk", 504: "de"}  # de: Telegram's, spoken as en
    for user, language in readers.items():
        emulator.add_user(user, language_code=language)
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        for user in readers:
            await Conversation(emulator, user).say("/subscribe")
        await wait_until_polled(bot, 3)
        async with bot.services.sessions() as session:
            editions = {f.url: f.edition for f in (await session.scalars(select(Feed))).all()}
        assert editions == {outlet.url(e): e for e in ("en", "ru", "kk")}

        outlet.publish("en", "en-1", "Budget passed")
        outlet.publish("ru", "ru-1", "Бюджет принят")
        outlet.publish("kk", "kk-1", "Бюджет қабылданды")
        await wait_for_story(bot, "Бюджет қабылданды", 503)
        await wait_for_story(bot, "Бюджет принят", 502, CHANNEL)
        await wait_for_story(bot, "Budget passed", 501, 504)
        got = {
            user: {t for t in ("Budget passed", "Бюджет принят", "Бюджет қабылданды")
                   if received(emulator, user, t)}
            for user in (*readers, CHANNEL)
        }  # fmt: skip
        assert got == {
            501: {"Budget passed"},
            502: {"Бюджет принят"},
            503: {"Бюджет қабылданды"},
            504: {"Budget passed"},
            CHANNEL: {"Бюджет принят"},  # the channel gets what its feed gives it
        }


async def test_a_reader_whose_language_has_no_edition_gets_every_edition(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    outlet = Outlet(feed_server, {"en": "en", "ru": "ru"})
    emulator.add_user(511, language_code="kk")
    async with running_bot(emulator, db_url, feeds=[feed(outlet, "en"), feed(outlet, "ru")]) as bot:
        await Conversation(emulator, 511).say("/subscribe")
        await wait_until_polled(bot, 2)
        outlet.publish("en", "en-1", "Floods in the north")
        outlet.publish("ru", "ru-1", "Паводки на севере")
        await wait_for_story(bot, "Floods in the north", 511)
        await wait_for_story(bot, "Паводки на севере", 511)


async def test_language_then_editions_chosen_with_buttons_decide_what_a_reader_gets(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    outlet = Outlet(feed_server, {"en": "en", "ru": "ru", "kk": "kk"})
    feeds = [feed(outlet, e) for e in ("en", "ru", "kk")]
    emulator.add_user(521, language_code="en")
    async with running_bot(emulator, db_url, feeds=feeds) as bot:
        reader = Conversation(emulator, 521)
        await reader.say("/subscribe")
        await wait_until_polled(bot, 3)
        step = await reader.say("/language")
        step = await reader.press(step, button_data(step, "Русский"))
        # The language is set; the second step offers the editions, ru ticked by default.
        assert "Какие выпуски" in step.text
        assert labels(step)[:3] == ["English", "✅ Русский", "Қазақша"]
        step = await reader.press(step, button_data(step, "English"))
        assert labels(step)[:2] == ["✅ English", "✅ Русский"]
        done = await reader.press(step, button_data(step, "Готово"))
        assert "English" in done.text and "Русский" in done.text and done.buttons() == []

        outlet.publish("en", "en-1", "Markets rally")
        outlet.publish("ru", "ru-1", "Рынки растут")
        outlet.publish("kk", "kk-1", "Нарықтар өсуде")
        await wait_for_story(bot, "Markets rally", 521)
        await wait_for_story(bot, "Рынки растут", 521)
        await wait_until_fetched_again(feed_server, "/kk.xml")
        await wait_until_queue_empty(bot)
        assert not received(emulator, 521, "Нарықтар өсуде")

        # The last edition cannot be switched off: /stop is how news stops.
        step = await reader.say("/language ru")
        step = await reader.press(step, button_data(step, "English"))
        step = await reader.press(step, button_data(step, "Русский"))
        assert labels(step)[:3] == ["English", "✅ Русский", "Қазақша"]


TOPICS = {
    "economy": {"en": "Economy", "ru": "Экономика", "kk": "Экономика"},
    "politics": {"en": "Politics", "ru": "Политика", "kk": "Саясат"},
}


async def test_entries_are_filed_by_their_own_categories_and_topics_go_by_their_names(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    outlet = Outlet(feed_server, {"ru": "ru"})
    mapping = {"Экономика": "economy", "Политика": "politics"}
    feeds = [feed(outlet, "ru", topic="society", topics=mapping, channels=[str(CHANNEL)])]
    emulator.add_channel(CHANNEL, username=None, title="Новости")
    readers = {531: ("ru", "/subscribe экономика"), 532: ("en", "/subscribe Economy")}
    readers |= {533: ("kk", "/subscribe саясат"), 534: ("ru", "/subscribe society")}
    for user, (language, _) in readers.items():
        emulator.add_user(user, language_code=language)
    async with running_bot(emulator, db_url, feeds=feeds, topics=TOPICS) as bot:
        replies = {
            user: await Conversation(emulator, user).say(c) for user, (_, c) in readers.items()
        }
        assert "на тему Экономика." in replies[531].text  # as typed in lower case: the name
        assert "subscribed to Economy." in replies[532].text
        assert "Саясат" in replies[533].text and "politics" not in replies[533].text
        menu = await Conversation(emulator, 531).say("/topics")
        assert {"✅ Экономика", "Политика", "society"} <= set(labels(menu))
        await wait_until_polled(bot, 1)

        outlet.publish("ru", "ru-1", "Тенге укрепился", " ЭКОНОМИКА ")  # any case and spacing
        outlet.publish("ru", "ru-2", "Выборы назначены", "Политика", "Экономика")  # the first
        outlet.publish("ru", "ru-3", "Открыт новый парк", "Город")  # unmapped: the feed's topic
        await wait_for_story(bot, "Тенге укрепился", 531, 532)
        await wait_for_story(bot, "Выборы назначены", 533)
        await wait_for_story(bot, "Открыт новый парк", 534)
        async with bot.services.sessions() as session:
            filed = dict((await session.execute(select(Post.url, Post.topic))).all())
        assert filed == {
            feed_server.url("/news/ru-1"): "economy",
            feed_server.url("/news/ru-2"): "politics",
            feed_server.url("/news/ru-3"): "society",
        }
        assert received(emulator, 531, "Тенге укрепился")
        assert not received(emulator, 531, "Выборы назначены")
        assert not received(emulator, 533, "Тенге укрепился")
        # Hashtags name the topic in each reader's language; the channel speaks its edition.
        assert any("#Экономика" in t for t in texts(emulator, 531))
        assert any("#Economy" in t for t in texts(emulator, 532))  # en reader, all editions
        assert any("#Саясат" in t for t in texts(emulator, 533))
        assert any("#Экономика" in t for t in texts(emulator, CHANNEL))


ADDED = {
    ("ru", 2): "(сейчас в ней 2 записи)",
    ("ru", 5): "(сейчас в ней 5 записей)",
    ("ru", 1): "(сейчас в ней 1 запись)",
    ("kk", 5): "(қазір 5 жазба бар)",
    ("en", 1): "(1 entry now)",
}


async def test_counted_replies_take_each_languages_plural_form(
    emulator: BotApiEmulator, db_url: str, feed_server: FeedServer
) -> None:
    for language, count in ADDED:
        path = f"/{language}-{count}.xml"
        feed_server.put(path, rss([Item(f"{path}-{n}", f"Story {n}") for n in range(count)]))
    admins = {"ru": 541, "kk": 542, "en": 543}
    for language, user in admins.items():
        emulator.add_user(user, language_code=language)
    async with running_bot(emulator, db_url, admins=list(admins.values())):
        for (language, count), expected in ADDED.items():
            admin = Conversation(emulator, admins[language])
            await admin.say("/start")
            url = feed_server.url(f"/{language}-{count}.xml")
            reply = await admin.say(f"/addfeed {url}")
            assert expected in reply.text, reply.text
