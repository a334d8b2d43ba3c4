"""What the readers' and membership tests share: a reader's conversation with the bot,
and questions to the database. (No tests here.)"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox.emulator import BotApiEmulator, SentMessage
from bot.sandbox.feedserver import FeedServer
from storage.models import Chat, ChatEvent, Subscription
from tests.feedgen import Item, rss
from tests.harness import RunningBot, until

WAIT = 10.0  # seconds an answer may take on a slow CI machine


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever the user sent or pressed, nothing may end up as an error in the log."""
    caplog.set_level(logging.INFO)
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


@dataclass
class Conversation:
    """One user talking to the bot in their private chat, through the emulator."""

    emulator: BotApiEmulator
    user_id: int

    def seen(self) -> int:
        return len(self.emulator.messages(self.user_id))

    async def say(self, text: str) -> SentMessage:
        """Send ``text`` and wait for the bot's next message in this chat."""
        before = self.seen()
        self.emulator.send_text(self.user_id, text)
        messages = await self.emulator.wait_for_messages(self.user_id, before + 1, timeout=WAIT)
        return messages[before]

    async def press(self, message: SentMessage, data: str) -> SentMessage:
        """Press a button under ``message``; wait until Telegram got an answer to the press.

        Returns the message as it is after the press (edited in place or not).
        """
        answered = len(self.emulator.callback_answers)
        self.emulator.press_button(self.user_id, self.user_id, message.message_id, data)
        await self.emulator.wait_until(
            lambda: len(self.emulator.callback_answers) > answered, timeout=WAIT
        )
        return self.emulator.message(self.user_id, message.message_id)

    def last_answer(self) -> dict[str, Any]:
        return self.emulator.callback_answers[-1]


def button_data(message: SentMessage, label_part: str) -> str:
    """The callback data of the first button whose label contains ``label_part``."""
    for button in message.buttons():
        if label_part in button["text"]:
            return str(button["callback_data"])
    raise AssertionError(f"no button with {label_part!r}: {[b['text'] for b in message.buttons()]}")


def labels(message: SentMessage) -> list[str]:
    return [str(button["text"]) for button in message.buttons()]


async def reader_row(bot: RunningBot, telegram_id: int) -> Chat | None:
    async with bot.services.sessions() as session:
        return await session.scalar(select(Chat).where(Chat.telegram_id == telegram_id))


async def topics_of(bot: RunningBot, telegram_id: int) -> set[str]:
    async with bot.services.sessions() as session:
        query = (
            select(Subscription.topic)
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(Chat.telegram_id == telegram_id)
        )
        return set((await session.scalars(query)).all())


async def events(bot: RunningBot, telegram_id: int | None = None) -> list[str]:
    """The chat's event kinds in order; with no id, the events of forgotten chats."""
    async with bot.services.sessions() as session:
        query = select(ChatEvent.kind).order_by(ChatEvent.id)
        if telegram_id is None:
            query = query.where(ChatEvent.chat_id.is_(None))
        else:
            query = query.join(Chat, Chat.id == ChatEvent.chat_id).where(
                Chat.telegram_id == telegram_id
            )
        return list((await session.scalars(query)).all())


async def count_events(bot: RunningBot, kind: str) -> int:
    async with bot.services.sessions() as session:
        query = select(func.count()).select_from(ChatEvent).where(ChatEvent.kind == kind)
        return int(await session.scalar(query) or 0)


def topic_feeds(feed_server: FeedServer, topics: dict[str, list[Item]]) -> list[dict[str, Any]]:
    """One feed per topic on the feed server, as the settings file would list them."""
    feeds = []
    for topic, entries in topics.items():
        # Links on the feed server: a test never reaches a public address.
        local = [replace(e, link=e.link or feed_server.url(f"/news/{e.guid}")) for e in entries]
        feed_server.put(f"/{topic}.xml", rss(local, title=f"{topic.title()} News"))
        feeds.append(
            {"url": feed_server.url(f"/{topic}.xml"), "name": f"{topic} news", "topic": topic,
             "interval": 1}
        )  # fmt: skip
    return feeds


async def wait_for_story(bot: RunningBot, title: str, *chat_ids: int) -> None:
    """Until each chat got the story titled ``title`` and the delivery queue is empty.

    A post's deliveries are queued in one statement, so once one reader has it
    and nothing is pending, every chat it was meant for has it too.
    """
    for chat_id in chat_ids:
        await bot.emulator.wait_until(
            lambda chat_id=chat_id: any(title in t for t in texts(bot.emulator, chat_id)),  # type: ignore[misc]
            timeout=WAIT,
        )
    await wait_until_queue_empty(bot)


async def wait_until_queue_empty(bot: RunningBot) -> None:
    async def queue_empty() -> bool:
        return not await bot.pending_deliveries()

    await until(queue_empty, WAIT)


def texts(emulator: BotApiEmulator, chat_id: int) -> list[str]:
    return [message.text for message in emulator.messages(chat_id)]


async def wait_until_fetched_again(feed_server: FeedServer, path: str) -> None:
    """Until the bot fetched ``path`` twice more: the version served now was processed."""
    hits = feed_server.hits(path)

    async def fetched_twice_more() -> bool:
        return feed_server.hits(path) >= hits + 2

    await until(fetched_twice_more, WAIT)


class Newsroom:
    """Topic feeds on the feed server that grow as stories are published."""

    def __init__(self, feed_server: FeedServer, old: dict[str, list[Item]]) -> None:
        self.feed_server = feed_server
        self.entries = {
            topic: [
                replace(entry, link=feed_server.url(f"/news/{entry.guid}")) for entry in entries
            ]
            for topic, entries in old.items()
        }
        self.feeds = topic_feeds(feed_server, self.entries)

    def publish(self, topic: str, guid: str, title: str) -> None:
        """A new entry at the top of the topic's feed; the older ones stay, as in real feeds."""
        entries = self.entries[topic]
        link = self.feed_server.url(f"/news/{guid}")  # never a public address in a test
        entries.append(Item(guid, title, minutes=len(entries) + 1, link=link))
        self.feed_server.put(f"/{topic}.xml", rss(entries, title=f"{topic.title()} News"))
