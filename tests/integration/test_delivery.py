"""Delivery from the outside: the real python-telegram-bot over HTTP to the Bot API emulator.

Every scenario ends the same way: each reachable chat holds exactly one copy
of each post, and the ledger (deliveries) says so.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox.emulator import BotApiEmulator
from storage import db
from storage.deliveries import post_progress, sent_messages
from storage.models import Chat, ChatEvent, Delivery, Post
from tests.integration.test_delivery_support import (
    POSTGRES_URL_VAR,
    World,
    fast_settings,
    fresh_database,
    make_bot,
    make_fetcher,
    make_worker,
    photo_server,
)

DB_KINDS = ["sqlite"] + (["postgres"] if os.environ.get(POSTGRES_URL_VAR) else [])


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return os.environ[POSTGRES_URL_VAR]
    return f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    engine = await fresh_database(db_url)
    async with BotApiEmulator() as emulator:
        async for root in photo_server():
            yield World(db.session_factory(engine), emulator, root)
    await engine.dispose()


async def deliver(world: World, **delivery: object) -> tuple[object, object]:
    """Drain the queue once with a fresh worker; return (report, worker)."""
    settings = fast_settings(world.emulator.api_root, **delivery)
    bot = await make_bot(world.emulator, settings)
    fetcher = make_fetcher()
    try:
        worker = make_worker(bot, world, settings, fetcher)
        report = await worker.drain(timeout=20)
    finally:
        await fetcher.aclose()
        await bot.shutdown()
    return report, worker


async def test_article_reaches_its_channel_and_topic_readers_once(world: World) -> None:
    channel = await world.channel(-1001, "@news")
    politics = await world.reader(11, "politics")
    everything = await world.reader(12, "*", language="ru")
    await world.reader(13, "sport")  # another topic: nothing
    feed = await world.feed(channel)
    post = await world.article_post(feed, "Minister reports in Geneva")

    assert await world.enqueue(post) == 3
    assert await world.enqueue(post) == 0  # idempotent
    report, _ = await deliver(world)

    assert report.sent == 3 and report.remaining == 0  # type: ignore[attr-defined]
    for telegram_id in (-1001, 11, 12):
        copies = world.copies(telegram_id)
        assert len(copies) == 1 and "Minister reports in Geneva" in copies[0]
    assert world.copies(13) == []
    async with world.sessions() as session:
        progress = await post_progress(session, post.id)
        held = await sent_messages(session, post.id)
    assert (progress.total, progress.sent, progress.pending) == (3, 3, 0)
    by_chat = {chat.telegram_id: delivery.message_id for chat, delivery in held}
    assert by_chat.keys() == {-1001, politics.telegram_id, everything.telegram_id}
    for telegram_id, message_id in by_chat.items():
        assert world.emulator.message(telegram_id, message_id) is not None


async def test_routine_articles_are_silent_and_breaking_rings(world: World) -> None:
    channel = await world.channel(-1001, "@news")
    await world.reader(11, "politics")
    feed = await world.feed(channel)
    await world.enqueue(await world.article_post(feed, "Routine"))
    await world.enqueue(await world.breaking_post("Earthquake in Almaty"))

    await deliver(world)

    for telegram_id in (-1001, 11):
        messages = world.emulator.messages(telegram_id)
        assert [m.disable_notification for m in messages] == [False, True]
        assert "Earthquake in Almaty" in messages[0].text  # breaking went first


async def test_breaking_reaches_every_channel_and_every_reader(world: World) -> None:
    await world.channel(-1001, "@news")
    await world.channel(-1002, "@other", target=False)  # not a target channel
    await world.reader(11, "sport")
    await world.reader(12, "*")
    await world.reader(13)  # no subscription: not a reader
    post = await world.breaking_post("Polls close at 20:00")

    assert await world.enqueue(post) == 3
    await deliver(world)

    for telegram_id in (-1001, 11, 12):
        assert len(world.copies(telegram_id)) == 1
    assert world.copies(-1002) == [] and world.copies(13) == []


async def test_a_chat_gets_its_posts_in_publication_order(world: World) -> None:
    await world.reader(11, "*")
    feed = await world.feed()
    # Enqueued newest first: the ledger's order, not the enqueue order, decides.
    for minutes, title in ((2, "third"), (0, "first"), (1, "second")):
        await world.enqueue(await world.article_post(feed, title, minutes=minutes))

    await deliver(world)

    assert [text.split("\n")[0] for text in world.copies(11)] == ["first", "second", "third"]


async def test_429_pauses_and_every_chat_still_gets_one_copy(world: World) -> None:
    for user in range(21, 26):
        await world.reader(user, "*")
    post = await world.article_post(await world.feed(), "Flood control")
    await world.enqueue(post)
    world.emulator.fail_next("sendMessage", 429, retry_after=1, times=2)

    report, _ = await deliver(world)

    assert report.rate_limited == 2  # type: ignore[attr-defined]
    for user in range(21, 26):
        assert len(world.copies(user)) == 1


async def test_a_5xx_burst_is_retried_with_backoff(world: World) -> None:
    for user in range(21, 24):
        await world.reader(user, "*")
    await world.enqueue(await world.article_post(await world.feed(), "Bad gateway"))
    world.emulator.fail_next("sendMessage", 502, times=4)

    report, _ = await deliver(world)

    assert report.retried == 4 and report.sent == 3  # type: ignore[attr-defined]
    for user in range(21, 24):
        assert len(world.copies(user)) == 1


async def test_a_persistent_5xx_fails_visibly_after_max_attempts(world: World) -> None:
    await world.reader(21, "*")
    await world.reader(22, "*")
    post = await world.article_post(await world.feed(), "Server down")
    await world.enqueue(post)
    world.emulator.fail_next("sendMessage", 500, chat_id=21, times=10)

    report, _ = await deliver(world, max_attempts=3)

    assert report.failed == 1 and report.sent == 1  # type: ignore[attr-defined]
    async with world.sessions() as session:
        failed = (
            await session.execute(select(Delivery).where(Delivery.status == "failed"))
        ).scalar_one()
        progress = await post_progress(session, post.id)
    assert failed.attempts == 3 and "internal server error" in (failed.last_error or "").lower()
    assert progress.failed == 1 and progress.sent == 1
    assert world.copies(21) == [] and len(world.copies(22)) == 1


async def test_blocked_and_deactivated_readers_are_marked_and_no_longer_targeted(
    world: World,
) -> None:
    blocked = await world.reader(31, "*")
    gone = await world.reader(32, "*")
    never = await world.reader(33, "*", started=False)
    await world.reader(34, "*")
    world.emulator.block(31)
    world.emulator.deactivate(32)
    feed = await world.feed()
    first = await world.article_post(feed, "First")
    await world.enqueue(first)

    report, _ = await deliver(world)

    assert report.skipped == 3 and report.sent == 1  # type: ignore[attr-defined]
    async with world.sessions() as session:
        statuses = {c.id: c.status for c in (await session.execute(select(Chat))).scalars()}
        events = (await session.execute(select(func.count()).select_from(ChatEvent))).scalar()
        progress = await post_progress(session, first.id)
    assert statuses[blocked.id] == statuses[gone.id] == statuses[never.id] == "blocked"
    assert events == 3 and progress.blocked == 3
    second = await world.article_post(feed, "Second")
    assert await world.enqueue(second) == 1  # only the reader still reachable
    await deliver(world)
    assert len(world.copies(34)) == 2


async def test_a_channel_that_removed_the_bot_is_marked_left(world: World) -> None:
    channel = await world.channel(-1001, "@news")
    world.emulator.set_bot_status(-1001, "left")
    post = await world.article_post(await world.feed(channel), "Nobody home")
    await world.enqueue(post)

    await deliver(world)

    async with world.sessions() as session:
        status = (await session.get(Chat, channel.id)).status  # type: ignore[union-attr]
    assert status == "left"


async def test_a_migrated_group_gets_the_post_at_its_new_id(world: World) -> None:
    group = await world.group(-501)
    world.emulator.migrate_group(-501, -1000501)
    await world.enqueue(await world.breaking_post("To the group"))

    await deliver(world)

    assert len(world.copies(-1000501)) == 1
    async with world.sessions() as session:
        moved = await session.get(Chat, group.id)
    assert moved is not None and moved.telegram_id == -1000501


async def test_a_photo_is_fetched_once_then_reused_by_file_id(world: World) -> None:
    for user in range(41, 45):
        await world.reader(user, "*")
    post = await world.article_post(await world.feed(), "With photo", image="good.jpg")
    await world.enqueue(post)

    await deliver(world)

    sources = [m.photo["source"] for u in range(41, 45) for m in world.emulator.messages(u)]
    assert sorted(sources) == ["file_id", "file_id", "file_id", "url"]
    async with world.sessions() as session:
        stored = await session.get(Post, post.id)
    assert stored is not None and stored.photo_file_id


async def test_a_refused_photo_never_loses_the_post(world: World) -> None:
    for user in range(51, 54):
        await world.reader(user, "*")
    post = await world.article_post(await world.feed(), "Odd photo", image="html.jpg")
    await world.enqueue(post)

    report, _ = await deliver(world)

    assert report.sent == 3 and report.failed == 0  # type: ignore[attr-defined]
    for user in range(51, 54):
        copies = world.emulator.messages(user)
        assert len(copies) == 1 and "Odd photo" in copies[0].text
    async with world.sessions() as session:
        stored = await session.get(Post, post.id)
    assert stored is not None
    # Either re-encoded and uploaded (then reused), or sent as text: never both, never lost.
    kinds = {m.kind for u in range(51, 54) for m in world.emulator.messages(u)}
    assert kinds == ({"photo"} if stored.photo_file_id else {"text"})
    assert stored.photo_failed == (kinds == {"text"})


async def test_chat_not_found_is_a_permanent_failure_with_its_description(world: World) -> None:
    async with world.sessions() as session:
        ghost = Chat(telegram_id=999, kind="private", status="active", joined_at=db.utcnow())
        session.add(ghost)
        await session.commit()
    await world.reader(61, "*")
    from storage.models import Subscription

    async with world.sessions() as session:
        session.add(Subscription(chat_id=ghost.id, topic="*", created_at=db.utcnow()))
        await session.commit()
    await world.enqueue(await world.article_post(await world.feed(), "Hello"))

    report, _ = await deliver(world)

    assert report.failed == 1 and report.sent == 1  # type: ignore[attr-defined]
    async with world.sessions() as session:
        failed = (
            await session.execute(select(Delivery).where(Delivery.chat_id == ghost.id))
        ).scalar_one()
    assert failed.status == "failed" and "chat not found" in (failed.last_error or "").lower()
