"""The queue in the database (storage.deliveries): fan-out, claim order, claims and recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.sandbox.emulator import BotApiEmulator
from storage import db
from storage.claims import claim_due, release_claims
from storage.deliveries import Outcome as Written
from storage.deliveries import enqueue_post, record_outcomes
from storage.models import Chat, Delivery, Subscription
from tests.integration.test_delivery_support import World, fresh_database


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    engine = await fresh_database(db_url)
    # The emulator only hosts the chats the helpers create; nothing is sent here.
    yield World(db.session_factory(engine), BotApiEmulator(), photo_root="http://127.0.0.1:9")
    await engine.dispose()


async def claim(world: World, worker: str = "w1", limit: int = 100) -> list[tuple[int, int]]:
    async with world.sessions() as session:
        return [(row.post_id, row.chat_id) for row in await claim_due(session, worker, limit)]


async def finish(world: World, status: str = "sent") -> None:
    async with world.sessions() as session:
        rows = (await session.execute(select(Delivery).where(Delivery.status == "sending"))).all()
        await record_outcomes(
            session,
            [Written(r[0].id, status, r[0].attempts + 1, db.utcnow()) for r in rows],
        )


async def test_a_post_without_topic_reaches_only_every_topic_readers(world: World) -> None:
    await world.reader(1, "politics")
    everything = await world.reader(2, "*")
    post = await world.article_post(await world.feed(), "No topic", topic=None)
    assert await world.enqueue(post) == 1
    assert await claim(world) == [(post.id, everything.id)]


async def test_inactive_chats_are_not_targeted(world: World) -> None:
    channel = await world.channel(-1001, "@news")
    await world.reader(1, "*")
    async with world.sessions() as session:
        await session.execute(update(Chat).values(status="blocked"))
        await session.commit()
    post = await world.article_post(await world.feed(channel), "Nobody")
    assert await world.enqueue(post) == 0
    assert await claim(world) == []


async def test_a_reader_with_two_matching_topics_gets_one_row(world: World) -> None:
    reader = await world.reader(1, "politics", "*")
    post = await world.article_post(await world.feed(), "Twice subscribed")
    assert await world.enqueue(post) == 1
    assert await claim(world) == [(post.id, reader.id)]


async def test_a_chats_later_post_waits_while_its_earlier_one_is_in_flight(world: World) -> None:
    reader = await world.reader(1, "*")
    feed = await world.feed()
    first = await world.article_post(feed, "first")
    second = await world.article_post(feed, "second", minutes=1)
    await world.enqueue(second)
    await world.enqueue(first)

    assert await claim(world) == [(first.id, reader.id)]
    assert await claim(world) == []  # second waits: first is in flight
    await finish(world)
    assert await claim(world) == [(second.id, reader.id)]


async def test_a_failed_earlier_post_does_not_block_the_chat(world: World) -> None:
    reader = await world.reader(1, "*")
    feed = await world.feed()
    first = await world.article_post(feed, "first")
    second = await world.article_post(feed, "second", minutes=1)
    await world.enqueue(first)
    await world.enqueue(second)
    await claim(world)
    await finish(world, "failed")
    assert await claim(world) == [(second.id, reader.id)]


async def test_breaking_news_is_claimed_ahead_of_routine_articles(world: World) -> None:
    readers = [await world.reader(n, "*") for n in (1, 2)]
    routine = await world.article_post(await world.feed(), "routine")
    await world.enqueue(routine)
    breaking = await world.breaking_post("breaking")
    await world.enqueue(breaking)

    claimed = await claim(world)
    assert claimed == [(breaking.id, readers[0].id), (breaking.id, readers[1].id)]


async def test_a_retry_not_yet_due_is_not_claimed(world: World) -> None:
    await world.reader(1, "*")
    await world.enqueue(await world.article_post(await world.feed(), "later"))
    async with world.sessions() as session:
        later = db.utcnow() + timedelta(minutes=5)
        await session.execute(update(Delivery).values(next_attempt_at=later))
        await session.commit()
    assert await claim(world) == []


async def test_concurrent_claims_never_hand_out_a_row_twice(world: World) -> None:
    for n in range(60):
        await world.reader(100 + n, "*")
    await world.enqueue(await world.article_post(await world.feed(), "split"))

    batches = await asyncio.gather(*(claim(world, f"w{n}", limit=15) for n in range(6)))

    rows = [row for batch in batches for row in batch]
    assert len(rows) == len(set(rows)) == 60


async def test_release_puts_back_this_workers_rows_and_stale_ones_only(world: World) -> None:
    for n in range(3):
        await world.reader(100 + n, "*")
    await world.enqueue(await world.article_post(await world.feed(), "in flight"))
    await claim(world, "crashed", limit=1)
    await claim(world, "alive", limit=1)
    await claim(world, "stale", limit=1)
    async with world.sessions() as session:
        old = db.utcnow() - timedelta(hours=1)
        await session.execute(
            update(Delivery).where(Delivery.claimed_by == "stale").values(claimed_at=old)
        )
        await session.commit()
        released = await release_claims(session, "crashed", db.utcnow() - timedelta(minutes=10))
        owners = set(
            (await session.execute(select(Delivery.claimed_by).where(Delivery.status == "sending")))
            .scalars()
            .all()
        )
    assert len(released) == 2 and owners == {"alive"}


async def test_enqueue_needs_no_chat_objects_and_counts_rows_added(world: World) -> None:
    # Subscriptions straight in SQL: enqueue works on rows, not on loaded chats.
    await world.reader(1, "*")
    async with world.sessions() as session:
        chat = (await session.execute(select(Chat))).scalar_one()
        session.add(Subscription(chat_id=chat.id, topic="politics", created_at=db.utcnow()))
        await session.commit()
        post = await world.article_post(await world.feed(), "count")
        assert await enqueue_post(session, post) == 1
        assert await enqueue_post(session, post) == 0


async def test_outcomes_are_written_field_by_field_on_rows_in_flight_only(world: World) -> None:
    readers = [await world.reader(telegram_id, "*") for telegram_id in (1, 2, 3)]
    post = await world.article_post(await world.feed(), "Outcomes")
    await world.enqueue(post)
    await claim(world, limit=2)  # the third reader's row stays pending
    async with world.sessions() as session:
        found = await session.execute(select(Delivery).order_by(Delivery.chat_id))
        first, second, waiting = found.scalars().all()
    assert [first.status, second.status, waiting.status] == ["sending", "sending", "pending"]
    sent_at = db.utcnow().replace(microsecond=123456)
    retry_at = sent_at + timedelta(minutes=5)
    async with world.sessions() as session:
        await record_outcomes(
            session,
            [
                Written(first.id, "sent", 1, sent_at, 77, True, None, sent_at),
                Written(second.id, "pending", 1, retry_at, last_error="Timed out"),
                Written(waiting.id, "sent", 1, sent_at, 78, False, None, sent_at),
            ],
        )
    async with world.sessions() as session:
        found = await session.execute(select(Delivery).order_by(Delivery.chat_id))
        rows = [
            (d.chat_id, d.status, d.attempts, d.next_attempt_at, d.message_id, d.with_photo,
             d.last_error, d.sent_at, d.claimed_by, d.claimed_at)
            for d in found.scalars()
        ]  # fmt: skip
    assert rows == [
        (readers[0].id, "sent", 1, sent_at, 77, True, None, sent_at, None, None),
        (readers[1].id, "pending", 1, retry_at, None, None, "Timed out", None, None, None),
        # Not in flight: an outcome for it is stale and changes nothing.
        (readers[2].id, "pending", 0, waiting.next_attempt_at, None, None, None, None, None, None),
    ]
