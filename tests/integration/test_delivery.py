"""Delivery from the outside: the real python-telegram-bot over HTTP to the Bot API emulator.

Every scenario ends the same way: each reachable chat holds exactly one copy
of each post, and the ledger (deliveries) says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.sandbox.emulator import BotApiEmulator, TelegramLimits
from storage import db
from storage.deliveries import post_progress, sent_messages
from storage.models import Chat, ChatEvent, Delivery, Post
from tests.harness import until
from tests.integration.test_delivery_support import (
    World,
    fast_settings,
    fresh_database,
    make_bot,
    make_fetcher,
    make_worker,
    photo_server,
)


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    engine = await fresh_database(db_url)
    async with BotApiEmulator() as emulator:
        async for root in photo_server():
            yield World(db.session_factory(engine), emulator, root)
    await engine.dispose()


async def deliver(
    world: World, *, allow_private: bool = True, within: float = 20, **delivery: object
) -> tuple[object, object]:
    """Drain the queue once with a fresh worker; return (report, worker)."""
    settings = fast_settings(world.emulator.api_root, **delivery)
    bot = await make_bot(world.emulator, settings)
    fetcher = make_fetcher(allow_private=allow_private)
    try:
        worker = make_worker(bot, world, settings, fetcher)
        report = await worker.drain(timeout=within)
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


async def test_a_channel_gets_twenty_posts_a_minute_and_the_rest_wait_queued(
    world: World,
) -> None:
    channel = await world.channel(-1001, "@news")
    feed = await world.feed(channel)
    for n in range(23):
        await world.enqueue(await world.article_post(feed, f"Item {n:02}", minutes=n))

    report, _ = await deliver(world, within=8)

    titles = [text.split("\n")[0] for text in world.copies(-1001)]
    assert titles == [f"Item {n:02}" for n in range(20)]  # in order, and no more
    assert report.rate_limited == 0 and report.remaining == 3  # type: ignore[attr-defined]
    async with world.sessions() as session:
        waiting = (
            (await session.execute(select(Delivery).where(Delivery.status == "pending")))
            .scalars()
            .all()
        )
    # The channel's next post is due when its minute is up; the others wait behind it.
    assert sum(d.next_attempt_at > db.utcnow() for d in waiting) == 1


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


async def test_a_stall_on_telegrams_side_costs_no_429(world: World) -> None:
    # Telegram takes nothing in for 0.2 s, then counts what came meanwhile at
    # once: six sends of the 30/s pace in one instant. The worker sees it in their
    # late answers and keeps every second of Telegram's within 30.
    world.emulator.limits = TelegramLimits()
    world.emulator.latency = 0.1
    readers = range(100, 160)
    for user in readers:
        await world.reader(user, "*")
    await world.enqueue(await world.article_post(await world.feed(), "Stall"))

    async def twenty_sent() -> bool:
        return world.emulator.count("sendMessage") >= 20

    async def stall_midway() -> None:
        await until(twenty_sent)
        world.emulator.stall(0.2)

    staller = asyncio.create_task(stall_midway())
    report, _ = await deliver(world)
    await staller

    assert world.emulator.rejected_429 == 0
    assert report.sent == len(readers)  # type: ignore[attr-defined]
    assert all(len(world.copies(user)) == 1 for user in readers)


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


async def test_a_photo_refused_by_url_is_reencoded_uploaded_once_and_reused(
    world: World,
) -> None:
    for user in range(51, 54):
        await world.reader(user, "*")
    post = await world.article_post(await world.feed(), "Odd photo", image="html.jpg")
    await world.enqueue(post)

    report, _ = await deliver(world)

    assert report.sent == 3 and report.failed == 0  # type: ignore[attr-defined]
    messages = [m for u in range(51, 54) for m in world.emulator.messages(u)]
    assert len(messages) == 3 and all(m.kind == "photo" for m in messages)
    assert sorted(m.photo["source"] for m in messages) == ["file_id", "file_id", "upload"]
    async with world.sessions() as session:
        stored = await session.get(Post, post.id)
    assert stored is not None and stored.photo_file_id and not stored.photo_failed


async def test_a_photo_that_is_no_image_never_loses_the_post(world: World) -> None:
    for user in range(51, 54):
        await world.reader(user, "*")
    post = await world.article_post(await world.feed(), "No picture", image="page.jpg")
    await world.enqueue(post)

    report, _ = await deliver(world)

    assert report.sent == 3 and report.failed == 0  # type: ignore[attr-defined]
    messages = [m for u in range(51, 54) for m in world.emulator.messages(u)]
    assert [m.kind for m in messages] == ["text"] * 3
    assert all("No picture" in m.text for m in messages)
    assert all(m.link_preview_options for m in messages)  # the article's page as preview
    # Telegram was asked for the photo once; the other chats went straight to text.
    assert world.emulator.count("sendPhoto") == 1
    async with world.sessions() as session:
        stored = await session.get(Post, post.id)
    assert stored is not None and stored.photo_failed and not stored.photo_file_id


async def test_the_photo_download_obeys_the_feeds_address_policy(world: World) -> None:
    # The feed is on example.kz; its photo link points at loopback: not fetched.
    await world.reader(51, "*")
    post = await world.article_post(await world.feed(), "Private photo", image="html.jpg")
    await world.enqueue(post)

    report, _ = await deliver(world, allow_private=False)

    assert report.sent == 1  # type: ignore[attr-defined]
    assert [m.kind for m in world.emulator.messages(51)] == ["text"]


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


async def test_a_stop_during_a_long_flood_pause_leaves_the_rest_queued(world: World) -> None:
    for user in range(71, 76):
        await world.reader(user, "*")
    await world.enqueue(await world.article_post(await world.feed(), "Paused"))
    world.emulator.fail_next("sendMessage", 429, retry_after=600)
    settings = fast_settings(world.emulator.api_root)
    bot = await make_bot(world.emulator, settings)
    fetcher = make_fetcher()
    worker = make_worker(bot, world, settings, fetcher)
    stop = asyncio.Event()
    try:
        running = asyncio.create_task(worker.run(stop))
        await world.emulator.wait_until(lambda: worker.limiter.paused_for > 0, timeout=10)
        stop.set()
        await asyncio.wait_for(running, 30)  # not the ten minutes Telegram asked for
    finally:
        await fetcher.aclose()
        await bot.shutdown()

    async with world.sessions() as session:
        statuses = (await session.execute(select(Delivery.status))).scalars().all()
    sent = sum(len(world.copies(user)) for user in range(71, 76))
    assert "sending" not in statuses
    assert statuses.count("sent") == sent and statuses.count("pending") == 5 - sent
