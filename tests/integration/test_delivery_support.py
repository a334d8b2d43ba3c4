"""Shared set-up for the delivery tests: a database, the Bot API emulator, rows made with the ORM.

Each helper states what it builds; tests read as "given these chats and this
post, after a drain each reachable chat holds exactly one copy".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot

from bot.delivery.transport import make_request
from bot.delivery.worker import DeliveryWorker
from bot.feeds.fetcher import Fetcher
from bot.sandbox.emulator import BotApiEmulator
from config.settings import DeliverySettings, PollingSettings, Settings
from storage import db
from storage.deliveries import enqueue_post
from storage.models import Article, Chat, Feed, FeedChannel, Post, Subscription

POSTGRES_URL_VAR = "NEWSBOT_TEST_POSTGRES_URL"


def fast_settings(api_url: str, **delivery: Any) -> Settings:
    """Settings with quick retries, so backoff is exercised without slowing the suite."""
    values: dict[str, Any] = {"backoff_base": 0.05, "backoff_max": 0.2, "rate": 30.0}
    values.update(delivery)
    return Settings(api_url=api_url, delivery=DeliverySettings(**values))


async def fresh_database(url: str) -> AsyncEngine:
    """The schema, migrated, on the empty database of tests/conftest.py's ``db_url``."""
    engine = db.create_engine(url)
    await db.upgrade(engine)
    return engine


@dataclass
class World:
    """The database and the emulator one test works with."""

    sessions: async_sessionmaker[AsyncSession]
    emulator: BotApiEmulator
    photo_root: str  # a local web server for photos: {photo_root}/good.jpg, /html.jpg, /missing.jpg

    async def reader(
        self, telegram_id: int, *topics: str, language: str = "en", started: bool = True
    ) -> Chat:
        """A reader: the emulator's user, our Chat row and the given subscriptions."""
        self.emulator.add_user(telegram_id, language_code=language, started=started)
        async with self.sessions() as session:
            chat = Chat(
                telegram_id=telegram_id,
                kind="private",
                language=language,
                status="active",
                joined_at=db.utcnow(),
            )
            session.add(chat)
            await session.flush()
            for topic in topics:
                session.add(Subscription(chat_id=chat.id, topic=topic, created_at=db.utcnow()))
            await session.commit()
            return chat

    async def channel(self, telegram_id: int, username: str, *, target: bool = True) -> Chat:
        self.emulator.add_channel(telegram_id, username=username, title=username)
        return await self._chat(telegram_id, "channel", username, target)

    async def group(self, telegram_id: int) -> Chat:
        self.emulator.add_group(telegram_id, title=f"group {telegram_id}")
        return await self._chat(telegram_id, "group", None, True)

    async def _chat(self, telegram_id: int, kind: str, username: str | None, target: bool) -> Chat:
        async with self.sessions() as session:
            chat = Chat(
                telegram_id=telegram_id,
                username=username,
                kind=kind,
                status="active",
                is_target=target,
                joined_at=db.utcnow(),
            )
            session.add(chat)
            await session.commit()
            return chat

    async def feed(self, *channels: Chat, topic: str | None = "politics") -> Feed:
        async with self.sessions() as session:
            feed = Feed(
                url=f"https://example.kz/rss/{len(channels)}-{topic}-{db.utcnow().timestamp()}",
                name="Example News",
                topic=topic,
                next_check_at=db.utcnow(),
                created_at=db.utcnow(),
            )
            session.add(feed)
            await session.flush()
            for channel in channels:
                session.add(FeedChannel(feed_id=feed.id, chat_id=channel.id))
            await session.commit()
            return feed

    async def article_post(
        self,
        feed: Feed,
        title: str,
        *,
        image: str | None = None,
        minutes: int = 0,
        topic: str | None = "politics",
    ) -> Post:
        """A published article post; ``image`` is a path on the photo server."""
        now = db.utcnow()
        async with self.sessions() as session:
            article = Article(
                feed_id=feed.id,
                key=title,
                url=f"https://example.kz/news/{abs(hash(title))}",
                title=title,
                summary=f"Summary of {title}. Two sentences here.",
                image_url=f"{self.photo_root}/{image}" if image else None,
                discovered_at=now,
                content_hash=str(abs(hash(title))),
            )
            session.add(article)
            await session.flush()
            post = Post(
                kind="article",
                article_id=article.id,
                feed_id=feed.id,
                topic=topic,
                priority=0,
                url=article.url,
                image_url=article.image_url,
                created_at=now,
                published_at=now,
                sort_at=now + timedelta(minutes=minutes),
            )
            session.add(post)
            await session.commit()
            return post

    async def breaking_post(self, text: str) -> Post:
        now = db.utcnow()
        async with self.sessions() as session:
            post = Post(
                kind="breaking",
                priority=10,
                text=text,
                created_at=now,
                published_at=now,
                sort_at=now,
            )
            session.add(post)
            await session.commit()
            return post

    async def enqueue(self, post: Post) -> int:
        async with self.sessions.begin() as session:
            return await enqueue_post(session, post)

    def copies(self, telegram_id: int) -> list[str]:
        """The visible texts the chat holds, in order."""
        return [m.text for m in self.emulator.messages(telegram_id)]


async def photo_server() -> AsyncIterator[str]:
    """good.jpg is a JPEG; html.jpg is a JPEG served as text/html (Telegram refuses its URL);
    page.jpg is no image at all (a web page)."""
    from bot.sandbox.media import make_image

    jpeg = make_image(640, 360)

    async def good(_request: web.Request) -> web.Response:
        return web.Response(body=jpeg, content_type="image/jpeg")

    async def html(_request: web.Request) -> web.Response:
        return web.Response(body=jpeg, content_type="text/html")

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Not found</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/good.jpg", good)
    app.router.add_get("/html.jpg", html)
    app.router.add_get("/page.jpg", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def make_bot(emulator: BotApiEmulator, settings: Settings) -> Bot:
    bot = Bot(
        emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        request=make_request(settings),
    )
    await bot.initialize()
    return bot


def make_worker(
    bot: Bot, world: World, settings: Settings, fetcher: Fetcher, worker_id: str = "test-1"
) -> DeliveryWorker:
    return DeliveryWorker(bot, world.sessions, settings, fetcher, worker_id=worker_id)


def make_fetcher(*, allow_private: bool = True) -> Fetcher:
    """The tests' photo server is on loopback: private fetching is allowed unless said."""
    return Fetcher(PollingSettings(timeout=5.0), allow_private=allow_private)
