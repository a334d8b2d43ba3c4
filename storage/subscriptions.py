"""Readers' topics, the topics there are to choose from, and a reader's erasure."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import utcnow
from storage.models import (
    Chat,
    ChatEdition,
    ChatEvent,
    Delivery,
    Feed,
    FeedChannel,
    Subscription,
)

ALL_TOPICS = "*"


async def available_topics(session: AsyncSession) -> list[str]:
    """The topics of enabled feeds and of their category maps, sorted: what a reader can choose."""
    query = select(Feed.topic, Feed.topic_map).where(Feed.enabled.is_(True))
    topics: set[str] = set()
    for topic, topic_map in (await session.execute(query)).all():
        topics.update(t for t in (topic, *(topic_map or {}).values()) if t)
    return sorted(topics, key=str.casefold)


async def topics_of(session: AsyncSession, chat_id: int) -> set[str]:
    """The topics a chat is subscribed to (``*`` standing for every topic)."""
    query = select(Subscription.topic).where(Subscription.chat_id == chat_id)
    return set((await session.scalars(query)).all())


async def set_topics(session: AsyncSession, chat_id: int, topics: Collection[str]) -> None:
    """Make a chat's subscriptions exactly ``topics``; rows that stay keep their date."""
    current = await topics_of(session, chat_id)
    wanted = set(topics)
    gone = current - wanted
    if gone:
        await session.execute(
            delete(Subscription).where(
                Subscription.chat_id == chat_id, Subscription.topic.in_(gone)
            )
        )
    now = utcnow()
    for topic in sorted(wanted - current):
        session.add(Subscription(chat_id=chat_id, topic=topic, created_at=now))
    await session.flush()


async def editions_of(session: AsyncSession, chat_id: int) -> set[str]:
    """The editions a reader chose; empty when they never chose (the default applies)."""
    query = select(ChatEdition.language).where(ChatEdition.chat_id == chat_id)
    return set((await session.scalars(query)).all())


async def set_editions(session: AsyncSession, chat_id: int, languages: Collection[str]) -> None:
    """Make a reader's chosen editions exactly ``languages``."""
    await session.execute(delete(ChatEdition).where(ChatEdition.chat_id == chat_id))
    session.add_all(ChatEdition(chat_id=chat_id, language=lang) for lang in sorted(languages))
    await session.flush()


async def forget_chat(session: AsyncSession, chat: Chat) -> None:
    """Delete a reader's row, subscriptions and deliveries; the history keeps only a count.

    Earlier events of the chat lose their link to it (``chat_id`` becomes NULL
    through the foreign key), so what remains cannot be tied to the person.
    """
    await session.execute(delete(Subscription).where(Subscription.chat_id == chat.id))
    await session.execute(delete(ChatEdition).where(ChatEdition.chat_id == chat.id))
    await session.execute(delete(Delivery).where(Delivery.chat_id == chat.id))
    kind = chat.kind
    await session.delete(chat)
    await session.flush()
    session.add(ChatEvent(chat_id=None, kind="forgot", chat_kind=kind, at=utcnow()))
    await session.flush()


async def is_named_by_feed(session: AsyncSession, chat_id: int) -> bool:
    """Whether some feed posts to this chat (then the bot joining it is expected)."""
    query = select(FeedChannel.feed_id).where(FeedChannel.chat_id == chat_id).limit(1)
    return await session.scalar(query) is not None
