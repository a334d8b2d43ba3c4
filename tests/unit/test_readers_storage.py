"""storage.subscriptions and bot.newsroom.readers against a real database (SQLite, and PostgreSQL
when configured): topics, status moves, and what /forget leaves behind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.newsroom import readers
from storage.chats import ensure_channel
from storage.db import SessionFactory, create_engine, session_factory, upgrade, utcnow
from storage.deliveries import enqueue_post
from storage.feeds import add_feed_channel, get_feed
from storage.models import Chat, ChatEvent, Delivery, Feed, Post, Subscription
from storage.subscriptions import available_topics, forget_chat, is_named_by_feed, set_topics


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(db_url)
    await upgrade(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def add_feed(
    sessions: SessionFactory, url: str, topic: str | None, enabled: bool = True
) -> int:
    async with sessions() as session, session.begin():
        now = utcnow()
        feed = Feed(url=url, topic=topic, enabled=enabled, next_check_at=now, created_at=now)
        session.add(feed)
        await session.flush()
        return feed.id


async def test_topics_are_the_distinct_topics_of_enabled_feeds(sessions: SessionFactory) -> None:
    await add_feed(sessions, "http://a/1", "sport")
    await add_feed(sessions, "http://a/2", "Economy")
    await add_feed(sessions, "http://a/3", "sport")
    await add_feed(sessions, "http://a/4", None)
    await add_feed(sessions, "http://a/5", "weather", enabled=False)
    async with sessions() as session:
        assert await available_topics(session) == ["Economy", "sport"]


async def test_set_topics_keeps_the_rows_that_stay(sessions: SessionFactory) -> None:
    await readers.start(sessions, 7, "en")
    async with sessions() as session, session.begin():
        chat = await session.scalar(select(Chat).where(Chat.telegram_id == 7))
        assert chat is not None
        await set_topics(session, chat.id, {"sport", "economy"})
        first = await session.get(Subscription, (chat.id, "sport"))
        assert first is not None
        created = first.created_at
        await set_topics(session, chat.id, {"sport", "politics"})
        rows = (
            await session.scalars(select(Subscription.topic).where(Subscription.chat_id == chat.id))
        ).all()
        assert sorted(rows) == ["politics", "sport"]
        kept = await session.get(Subscription, (chat.id, "sport"))
        assert kept is not None and kept.created_at == created


async def test_a_reader_who_leaves_and_returns_leaves_a_trail_of_events(
    sessions: SessionFactory,
) -> None:
    await add_feed(sessions, "http://a/1", "sport")
    await readers.subscribe(sessions, 8, "ru", "sport")
    await readers.unsubscribe(sessions, 8, "ru", "sport")  # the last topic: left
    change, reader = await readers.subscribe(sessions, 8, "ru", None)
    assert change is readers.Change.DONE and reader.status == "active" and reader.everything
    assert await readers.reader_blocked(sessions, 8)
    assert not await readers.reader_blocked(sessions, 8)  # no second event
    assert await readers.reader_unblocked(sessions, 8)
    async with sessions() as session:
        kinds = (await session.scalars(select(ChatEvent.kind).order_by(ChatEvent.id))).all()
    assert kinds == ["joined", "left", "returned", "blocked", "unblocked"]


async def test_blocking_or_unblocking_an_unknown_user_stores_nothing(
    sessions: SessionFactory,
) -> None:
    assert not await readers.reader_blocked(sessions, 404)
    assert not await readers.reader_unblocked(sessions, 404)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Chat)) == 0


async def test_forget_deletes_the_reader_subscriptions_and_deliveries_keeping_counts(
    sessions: SessionFactory,
) -> None:
    feed_id = await add_feed(sessions, "http://a/1", "sport")
    await readers.subscribe(sessions, 9, "kk", "sport")
    await readers.subscribe(sessions, 10, "en", "sport")
    async with sessions() as session, session.begin():
        now = utcnow()
        post = Post(kind="article", feed_id=feed_id, topic="sport", created_at=now, sort_at=now)
        session.add(post)
        await session.flush()
    async with sessions() as session, session.begin():
        assert await enqueue_post(session, post) == 2

    assert await readers.forget(sessions, 9)
    assert not await readers.forget(sessions, 9)  # nothing left to forget

    async with sessions() as session:
        assert await session.scalar(select(Chat).where(Chat.telegram_id == 9)) is None
        chats = select(Chat.id).where(Chat.telegram_id == 10)
        assert (await session.scalars(select(Subscription.chat_id))).all() == [
            await session.scalar(chats)
        ]
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1
        orphaned = select(ChatEvent.kind).where(ChatEvent.chat_id.is_(None)).order_by(ChatEvent.id)
        assert (await session.scalars(orphaned)).all() == ["joined", "forgot"]


async def test_a_channel_named_by_a_feed_is_known_as_such(sessions: SessionFactory) -> None:
    feed_id = await add_feed(sessions, "http://a/1", None)
    async with sessions() as session, session.begin():
        named = await ensure_channel(session, "@named", target=False)
        other = await ensure_channel(session, "@other", target=False)
        feed = await get_feed(session, feed_id)
        assert feed is not None
        await add_feed_channel(session, feed, named)
        assert await is_named_by_feed(session, named.id)
        assert not await is_named_by_feed(session, other.id)


async def test_forget_chat_works_on_a_chat_without_history(sessions: SessionFactory) -> None:
    async with sessions() as session, session.begin():
        chat = Chat(telegram_id=11, kind="private", joined_at=utcnow())
        session.add(chat)
        await session.flush()
        await forget_chat(session, chat)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Chat)) == 0
