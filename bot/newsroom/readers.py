"""What readers can do: start, choose topics, pick a language, stop, be forgotten.

Handlers parse the Telegram side and call these; each function is one
transaction and returns plain values the handler turns into a reply. The
choice rules (what "every topic" means when one is switched off, when a reader
has left or is back) are pure functions, tested one rule at a time.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGES, normalize_language
from config.topics import NO_NAMES, TopicNames
from storage.chats import chat_by_telegram_id, record_event, set_status
from storage.db import SessionFactory, utcnow
from storage.models import Chat
from storage.subscriptions import (
    ALL_TOPICS,
    available_topics,
    forget_chat,
    set_topics,
    topics_of,
)

__all__ = [
    "ALL_TOPICS",
    "Change",
    "Reader",
    "find_topic",
    "forget",
    "language_of",
    "reader_blocked",
    "reader_unblocked",
    "set_language",
    "start",
    "status_for",
    "subscribe",
    "toggle_topic",
    "toggled",
    "topics",
    "unsubscribe",
    "with_topic",
    "without_topic",
]


@dataclass(frozen=True)
class Reader:
    """A reader as a handler needs them: language, status, chosen and available topics."""

    telegram_id: int
    language: str
    status: str
    chosen: frozenset[str]
    available: tuple[str, ...]
    is_new: bool = False  # first seen by this call
    came_back: bool = False  # was blocked or had left, and is active again
    names: Mapping[str, str] = field(default_factory=dict)  # topic -> its name in ``language``

    @property
    def everything(self) -> bool:
        return ALL_TOPICS in self.chosen

    def name(self, topic: str) -> str:
        """``topic`` as this reader reads it (``[topics.*]`` in the settings, else the slug)."""
        return self.names.get(topic, topic)


class Change(enum.Enum):
    """What a subscribe or unsubscribe did."""

    DONE = "done"
    UNCHANGED = "unchanged"  # already subscribed / was not subscribed
    UNKNOWN_TOPIC = "unknown_topic"


# --------------------------------------------------------------- the choice rules


def find_topic(name: str, known: Collection[str], names: TopicNames = NO_NAMES) -> str | None:
    """The known topic ``name`` means: its slug or its name in any language, in any case and
    spacing; ``*`` or "all" mean every topic."""
    if name.strip().casefold() in (ALL_TOPICS, "all"):
        return ALL_TOPICS
    return names.find(name, known)


def with_topic(chosen: frozenset[str], topic: str) -> frozenset[str]:
    """Subscribing: every topic replaces a list; one topic is added unless all are chosen."""
    if topic == ALL_TOPICS:
        return frozenset({ALL_TOPICS})
    if ALL_TOPICS in chosen:
        return chosen
    return chosen | {topic}


def without_topic(chosen: frozenset[str], topic: str, available: Sequence[str]) -> frozenset[str]:
    """Unsubscribing: from every topic leaves nothing; one topic out of "all" leaves the rest."""
    if topic == ALL_TOPICS:
        return frozenset()
    if ALL_TOPICS in chosen:
        return frozenset(available) - {topic}
    return chosen - {topic}


def toggled(chosen: frozenset[str], topic: str, available: Sequence[str]) -> frozenset[str]:
    """A button press on ``topic``: switch it off if it is on, on if it is off."""
    is_on = topic in chosen or (ALL_TOPICS in chosen and topic != ALL_TOPICS)
    return without_topic(chosen, topic, available) if is_on else with_topic(chosen, topic)


def status_for(status: str, chosen: frozenset[str]) -> tuple[str, str] | None:
    """The status and event a topic change leads to, or None when the status stays.

    A reader with no topic left has "left" (and is not targeted); one who
    chooses a topic again has "returned".
    """
    if not chosen and status == "active":
        return "left", "left"
    if chosen and status == "left":
        return "active", "returned"
    return None


# --------------------------------------------------------------- the services


async def start(
    sessions: SessionFactory,
    telegram_id: int,
    language_code: str | None,
    names: TopicNames = NO_NAMES,
) -> Reader:
    """/start: register a new reader, or bring back one who had blocked the bot or left."""
    async with sessions() as session, session.begin():
        chat, is_new, unblocked = await _reader_chat(session, telegram_id, language_code)
        returned = chat.status == "left"
        if returned:
            await set_status(session, chat, "active", event="returned")
        return await _reader(session, chat, names, is_new=is_new, came_back=unblocked or returned)


async def topics(
    sessions: SessionFactory,
    telegram_id: int,
    language_code: str | None,
    names: TopicNames = NO_NAMES,
) -> Reader:
    """/topics: the reader's current choice and what there is to choose from."""
    async with sessions() as session, session.begin():
        chat, is_new, _ = await _reader_chat(session, telegram_id, language_code)
        return await _reader(session, chat, names, is_new=is_new)


async def subscribe(
    sessions: SessionFactory,
    telegram_id: int,
    language_code: str | None,
    topic: str | None,
    names: TopicNames = NO_NAMES,
) -> tuple[Change, Reader]:
    """/subscribe [topic]: every topic, or one of the feeds' topics."""
    async with sessions() as session, session.begin():
        chat, is_new, _ = await _reader_chat(session, telegram_id, language_code)
        known = await available_topics(session)
        found = ALL_TOPICS if topic is None else find_topic(topic, known, names)
        if found is None:
            return Change.UNKNOWN_TOPIC, await _reader(session, chat, names, is_new=is_new)
        chosen = frozenset(await topics_of(session, chat.id))
        change = await _choose(session, chat, chosen, with_topic(chosen, found))
        return change, await _reader(session, chat, names, is_new=is_new)


async def unsubscribe(
    sessions: SessionFactory,
    telegram_id: int,
    language_code: str | None,
    topic: str | None,
    names: TopicNames = NO_NAMES,
) -> tuple[Change, Reader]:
    """/unsubscribe [topic] and /stop: one topic, or everything (the reader has then left)."""
    async with sessions() as session, session.begin():
        chat, is_new, _ = await _reader_chat(session, telegram_id, language_code)
        known = await available_topics(session)
        chosen = frozenset(await topics_of(session, chat.id))
        found = ALL_TOPICS if topic is None else find_topic(topic, [*known, *chosen], names)
        if found is None:
            return Change.UNKNOWN_TOPIC, await _reader(session, chat, names, is_new=is_new)
        change = await _choose(session, chat, chosen, without_topic(chosen, found, known))
        if found == ALL_TOPICS and chat.status == "active":
            # /stop from a reader who had chosen nothing yet still means "leave".
            await set_status(session, chat, "left", event="left")
        return change, await _reader(session, chat, names, is_new=is_new)


async def toggle_topic(
    sessions: SessionFactory,
    telegram_id: int,
    language_code: str | None,
    topic: str,
    names: TopicNames = NO_NAMES,
) -> Reader:
    """A topic button: switch ``topic`` (a known topic, or ``*``) on or off."""
    async with sessions() as session, session.begin():
        chat, is_new, _ = await _reader_chat(session, telegram_id, language_code)
        known = await available_topics(session)
        chosen = frozenset(await topics_of(session, chat.id))
        await _choose(session, chat, chosen, toggled(chosen, topic, known))
        return await _reader(session, chat, names, is_new=is_new)


async def set_language(
    sessions: SessionFactory,
    telegram_id: int,
    language_code: str | None,
    language: str,
    names: TopicNames = NO_NAMES,
) -> Reader:
    """/language: the reader's language from now on (en, ru or kk)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    async with sessions() as session, session.begin():
        chat, is_new, _ = await _reader_chat(session, telegram_id, language_code)
        chat.language = language
        return await _reader(session, chat, names, is_new=is_new)


async def language_of(sessions: SessionFactory, telegram_id: int, language_code: str | None) -> str:
    """The language to answer a user in: theirs if we know them, else their Telegram's."""
    async with sessions() as session:
        chat = await chat_by_telegram_id(session, telegram_id)
    return chat.language if chat is not None else normalize_language(language_code)


async def forget(sessions: SessionFactory, telegram_id: int) -> bool:
    """/forget, confirmed: delete everything stored about the reader; False if nothing was."""
    async with sessions() as session, session.begin():
        chat = await chat_by_telegram_id(session, telegram_id)
        if chat is None or chat.kind != "private":
            return False
        await forget_chat(session, chat)
        return True


async def reader_blocked(sessions: SessionFactory, telegram_id: int) -> bool:
    """The reader blocked the bot: not targeted any more, topics kept. True if it changed."""
    async with sessions() as session, session.begin():
        chat = await chat_by_telegram_id(session, telegram_id)
        if chat is None:
            return False
        return await set_status(session, chat, "blocked", event="blocked")


async def reader_unblocked(sessions: SessionFactory, telegram_id: int) -> bool:
    """The reader unblocked the bot: active again with the topics they had. True if it changed."""
    async with sessions() as session, session.begin():
        chat = await chat_by_telegram_id(session, telegram_id)
        if chat is None or chat.status != "blocked":
            return False
        return await set_status(session, chat, "active", event="unblocked")


# --------------------------------------------------------------- helpers


async def _reader_chat(
    session: AsyncSession, telegram_id: int, language_code: str | None
) -> tuple[Chat, bool, bool]:
    """The reader's chat, whether it is new, whether it was blocked.

    A new reader is registered ("joined"); a blocked reader who writes to the
    bot has evidently unblocked it ("unblocked"), whatever order Telegram's
    updates came in.
    """
    chat = await chat_by_telegram_id(session, telegram_id)
    if chat is None:
        chat = Chat(
            telegram_id=telegram_id,
            kind="private",
            language=normalize_language(language_code),
            status="active",
            joined_at=utcnow(),
        )
        session.add(chat)
        await session.flush()
        await record_event(session, chat, "joined")
        return chat, True, False
    unblocked = chat.status == "blocked"
    if unblocked:
        await set_status(session, chat, "active", event="unblocked")
    return chat, False, unblocked


async def _choose(
    session: AsyncSession, chat: Chat, before: frozenset[str], after: frozenset[str]
) -> Change:
    """Store a new choice of topics and the status it implies."""
    if after == before:
        return Change.UNCHANGED
    await set_topics(session, chat.id, after)
    move = status_for(chat.status, after)
    if move is not None:
        await set_status(session, chat, move[0], event=move[1])
    return Change.DONE


async def _reader(
    session: AsyncSession,
    chat: Chat,
    names: TopicNames,
    *,
    is_new: bool = False,
    came_back: bool = False,
) -> Reader:
    assert chat.telegram_id is not None
    chosen = frozenset(await topics_of(session, chat.id))
    available = tuple(await available_topics(session))
    return Reader(
        telegram_id=chat.telegram_id,
        language=chat.language,
        status=chat.status,
        chosen=chosen,
        available=available,
        is_new=is_new,
        came_back=came_back,
        names={topic: names.name(topic, chat.language) for topic in {*chosen, *available}},
    )
