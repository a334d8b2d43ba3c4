"""``newsbot demo``: the real bot, offline, against the local Bot API emulator.

The bundled sample site (a Kazakh newsroom's English, Russian and Kazakh
editions, each its own feed) is served on loopback; the bot runs on SQLite in
a temporary folder, readers talk to it through the emulator. Once the posts
are out, the newsroom corrects one English story at the source; the demo polls
again, the bot edits every copy it sent, and the demo prints what every chat
received (with the correction).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import NewsBot, open_services
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from bot.sandbox.sample import CORRECTED_TITLE, serve_sample
from bot.sandbox.sample.editions import serve_editions
from config.settings import Settings
from storage.chats import ensure_channel
from storage.db import utcnow
from storage.feeds import add_feed_channel, upsert_feed
from storage.models import Delivery, Edit, Feed, Post

log = logging.getLogger(__name__)

TOKEN = "100200300:DEMO-token-not-a-real-one"
CHANNEL_ID = -1001000000001
CHANNEL = "@elkz_demo"
# The three editions' feeds: (language, how many of the newest entries to post).
# Each feed says its language in <language>, which is the edition's by default.
EDITIONS = (("en", 3), ("ru", 2), ("kk", 2))
# The site's sections, as each edition's <category> names them, and the topics they file under.
SECTIONS = {
    "Politics": "politics",
    "Society": "society",
    "Economy": "economy",
    "Политика": "politics",
    "Экономика": "economy",
    "Саясат": "politics",
}
TOPIC_NAMES = {
    "politics": {"en": "Politics", "ru": "Политика", "kk": "Саясат"},
    "economy": {"en": "Economy", "ru": "Экономика", "kk": "Экономика"},
    "society": {"en": "Society", "ru": "Общество", "kk": "Қоғам"},
}
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
            urls = {"en": await serve_sample(feeds), **serve_editions(feeds)}
            _populate(emulator)
            settings = _settings(emulator.api_root, Path(folder))
            async with open_services(settings) as services:
                newsbot = NewsBot(services, TOKEN)
                await newsbot.start()
                try:
                    feed_ids = {
                        lang: await _add_feed(newsbot, urls[lang], lang, n) for lang, n in EDITIONS
                    }
                    await _talk_like_readers(emulator)
                    await _poll_now(newsbot, *feed_ids.values())
                    complete = await _wait_for_deliveries(newsbot)
                    # The newsroom corrects a story on its site; the next poll finds it.
                    await serve_sample(feeds, corrected=True)
                    await _poll_now(newsbot, feed_ids["en"])
                    complete = complete and await _wait_for_edits(newsbot)
                finally:
                    await newsbot.stop()
            print(emulator.transcript())
            print(_correction_summary(emulator))
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
            "topics": TOPIC_NAMES,
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


async def _add_feed(newsbot: NewsBot, feed_url: str, language: str, backfill: int) -> int:
    """An edition's feed, as an admin adds it; its ``backfill`` newest entries will be posted.

    Its first poll waits until the readers have subscribed (``_poll_now``), so
    that they, and not only the channel, receive the articles.
    """
    async with newsbot.services.sessions.begin() as session:
        feed = await upsert_feed(
            session,
            url=feed_url,
            name="El.kz",
            topic=None,
            interval=60,
            backfill=backfill,
            origin="admin",
            language=language,
            topic_map=SECTIONS,
        )
        feed.next_check_at = utcnow() + timedelta(days=1)
        await add_feed_channel(session, feed, await ensure_channel(session, CHANNEL))
        return feed.id


async def _poll_now(newsbot: NewsBot, *feed_ids: int) -> None:
    async with newsbot.services.sessions.begin() as session:
        for feed_id in feed_ids:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            feed.next_check_at = utcnow()


async def _wait_for_deliveries(newsbot: NewsBot) -> bool:
    return await _wait_until(newsbot, _all_delivered)


async def _wait_for_edits(newsbot: NewsBot) -> bool:
    return await _wait_until(newsbot, _all_edited)


async def _all_delivered(session: AsyncSession) -> bool:
    posts = await session.scalar(select(func.count()).select_from(Post))
    return bool(posts) and not await _open(session, Delivery)


async def _all_edited(session: AsyncSession) -> bool:
    edits = await session.scalar(select(func.count()).select_from(Edit))
    return bool(edits) and not await _open(session, Edit)


async def _open(session: AsyncSession, table: type[Delivery] | type[Edit]) -> int:
    query = select(func.count()).select_from(table).where(table.status.in_(("pending", "sending")))
    return int(await session.scalar(query) or 0)


async def _wait_until(newsbot: NewsBot, done: Callable[[AsyncSession], Awaitable[bool]]) -> bool:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        async with newsbot.services.sessions() as session:
            if await done(session):
                return True
        await asyncio.sleep(0.1)
    return False


def _correction_summary(emulator: BotApiEmulator) -> str:
    """Which chats show the corrected story, edited in place."""
    lines = [f"=== the correction: {CORRECTED_TITLE} ==="]
    for chat_id, label in [(CHANNEL_ID, CHANNEL)] + [(uid, name) for uid, name, _, _ in READERS]:
        edited = [m for m in emulator.messages(chat_id) if m.text.startswith(CORRECTED_TITLE)]
        state = f"edited in place ({len(edited[0].edits)} edit)" if edited else "not received"
        lines.append(f"{label}: {state}")
    return "\n".join(lines)
