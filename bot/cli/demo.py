"""``newsbot demo``: the real bot, offline, against the local Bot API emulator.

A bundled sample feed of a Kazakh news site is served on loopback; the bot
runs on SQLite in a temporary folder, readers talk to it through the
emulator, and at the end the demo prints what every chat received.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.app import NewsBot, open_services
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from bot.sandbox.sample import serve_sample
from config.settings import Settings
from storage.chats import ensure_channel
from storage.db import utcnow
from storage.feeds import add_feed_channel, upsert_feed
from storage.models import Delivery, Feed, Post

log = logging.getLogger(__name__)

TOKEN = "100200300:DEMO-token-not-a-real-one"
CHANNEL_ID = -1001000000001
CHANNEL = "@elkz_demo"
READERS = (  # (user id, name, Telegram language code, commands the reader sends)
    (5001, "Aigerim", "kk", ("/start", "/subscribe")),
    (5002, "Dmitry", "ru", ("/start", "/subscribe politics")),
    (5003, "Sarah", "en", ("/start", "/subscribe")),
)
EDITOR_ID = 7001
TIMEOUT = 20.0
READER_TIMEOUT = 5.0


async def run_demo() -> int:
    """Run the demo and print each chat's transcript; 0 when every post arrived."""
    with tempfile.TemporaryDirectory(prefix="newsbot-demo-") as folder:
        async with BotApiEmulator(token=TOKEN) as emulator, FeedServer() as feeds:
            feed_url = await serve_sample(feeds)
            _populate(emulator)
            settings = _settings(emulator.api_root, Path(folder))
            async with open_services(settings) as services:
                newsbot = NewsBot(services, TOKEN)
                await newsbot.start()
                try:
                    feed_id = await _add_feed(newsbot, feed_url)
                    await _talk_like_readers(emulator)
                    await _poll_now(newsbot, feed_id)
                    complete = await _wait_for_deliveries(newsbot)
                finally:
                    await newsbot.stop()
            print(emulator.transcript())
    if not complete:
        print("newsbot demo: not every delivery finished in time")
        return 1
    return 0


def _populate(emulator: BotApiEmulator) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="El.kz demo channel")
    for user_id, name, language, _ in READERS:
        emulator.add_user(user_id, first_name=name, language_code=language)


def _settings(api_root: str, folder: Path) -> Settings:
    return Settings.model_validate(
        {
            "bot_token": TOKEN,
            "api_url": api_root,
            "database_url": f"sqlite+aiosqlite:///{folder / 'newsbot.db'}",
            "allow_private_fetch": True,  # the sample site lives on loopback
            "log_level": "WARNING",
            "editors": [EDITOR_ID],
            "polling": {"tick": 0.2, "timeout": 5},
        }
    )


async def _talk_like_readers(emulator: BotApiEmulator) -> None:
    """Readers press Start and subscribe through Telegram, and the bot answers each command."""
    for user_id, _, _, commands in READERS:
        for command in commands:
            emulator.send_text(user_id, command)
    expected = {user_id: len(commands) for user_id, _, _, commands in READERS}
    await emulator.wait_until(
        lambda: all(len(emulator.messages(uid)) >= n for uid, n in expected.items()),
        timeout=READER_TIMEOUT,
    )


async def _add_feed(newsbot: NewsBot, feed_url: str) -> int:
    """The newsroom's feed, as an admin adds it; its three newest entries will be posted.

    Its first poll waits until the readers have subscribed (``_poll_now``), so
    that they, and not only the channel, receive the articles.
    """
    async with newsbot.services.sessions.begin() as session:
        feed = await upsert_feed(
            session,
            url=feed_url,
            name="El.kz",
            topic="politics",
            interval=60,
            backfill=3,
            origin="admin",
        )
        feed.next_check_at = utcnow() + timedelta(days=1)
        await add_feed_channel(session, feed, await ensure_channel(session, CHANNEL))
        return feed.id


async def _poll_now(newsbot: NewsBot, feed_id: int) -> None:
    async with newsbot.services.sessions.begin() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        feed.next_check_at = utcnow()


async def _wait_for_deliveries(newsbot: NewsBot) -> bool:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        async with newsbot.services.sessions() as session:
            posts = await session.scalar(select(func.count()).select_from(Post))
            open_rows = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("pending", "sending")))
            )
        if posts and not open_rows:
            return True
        await asyncio.sleep(0.1)
    return False
