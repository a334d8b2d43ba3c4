"""The composition root: settings → engine → HTTP client → PTB Application →
scheduler and delivery worker, started in order and stopped cleanly."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot import telemetry
from bot.delivery.ledger import WorkerStats
from bot.delivery.transport import make_request, make_updates_request
from bot.delivery.worker import DeliveryWorker
from bot.feeds.fetcher import Fetcher
from bot.handlers import register_handlers
from bot.handlers.readers.menu import publish_command_menus
from bot.newsroom.alerts import check_alerts
from bot.newsroom.breaking.preview import resumed_progress
from bot.newsroom.services import SERVICES_KEY, Services
from bot.scheduler import FeedScheduler
from config.settings import Settings, parse_chat_ref
from storage.chats import ensure_channel
from storage.db import create_engine, session_factory, upgrade
from storage.feeds import list_feeds, set_feed_channels, upsert_feed
from storage.leader import LeaderLock

if TYPE_CHECKING:
    from bot.ops.endpoint import OpsEndpoint
    from bot.ops.webhook import WebhookReceiver

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

# Only one process may long-poll Telegram (two would steal each other's updates).
UPDATES_LOCK = zlib.crc32(b"newsbot:telegram-updates")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Database (migrated, settings applied) and the HTTP fetcher; closed on exit."""
    engine = create_engine(settings.database_url)
    fetcher = Fetcher(settings.polling, allow_private=settings.allow_private_fetch)
    try:
        await upgrade(engine)
        services = Services(settings, engine, session_factory(engine), fetcher)
        await apply_settings(services)
        yield services
    finally:
        await fetcher.aclose()
        await engine.dispose()


async def apply_settings(services: Services) -> None:
    """Make the database agree with the settings file's feeds and channels."""
    settings = services.settings
    async with services.sessions() as session, session.begin():
        for ref in settings.channels:
            await ensure_channel(session, parse_chat_ref(ref))
        configured = set()
        for item in settings.feeds:
            feed = await upsert_feed(
                session,
                url=item.url,
                name=item.name,
                topic=item.topic,
                interval=item.interval,
                backfill=item.backfill,
                origin="settings",
                language=item.language,
                topic_map=item.topics,
            )
            configured.add(feed.id)
            refs = [parse_chat_ref(ref) for ref in item.channels]
            chats = [await ensure_channel(session, ref) for ref in refs]
            await set_feed_channels(session, feed, chats)
        for feed in await list_feeds(session):
            if feed.origin == "settings" and feed.id not in configured and feed.enabled:
                log.info("feed no longer in the settings, disabled feed_id=%s", feed.id)
                feed.enabled = False


def build_application(services: Services, token: str) -> AnyApplication:
    """PTB's Application against the configured Bot API root, with our handlers."""
    api = services.settings.api_url
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api}/bot{{token}}")
        .base_file_url(f"{api}/file/bot{{token}}")
        .request(make_request(services.settings))
        .get_updates_request(make_updates_request(services.settings))
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .job_queue(None)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    register_handlers(application)
    return application


class NewsBot:
    """The running bot: updates, feed scheduler and delivery, started and stopped in order."""

    def __init__(self, services: Services, token: str, *, receive_updates: bool = True) -> None:
        self.services = services
        self.telemetry = telemetry.install()  # this bot's counters, from zero
        self.application = build_application(services, token)
        self.worker = DeliveryWorker(
            self.application.bot,
            services.sessions,
            services.settings,
            services.fetcher,
            worker_id=worker_id(),
        )
        services.delivery = self.worker
        self.scheduler = FeedScheduler(
            services,
            LeaderLock(services.engine),
            after_poll=lambda _results: check_alerts(self.application.bot, services),
        )
        self._receive_updates = receive_updates
        self.webhook = self._webhook_receiver()
        self.ops = self._ops_endpoint()
        self._updates_leader = LeaderLock(services.engine, UPDATES_LOCK)
        self._stop = asyncio.Event()
        self._worker_task: asyncio.Task[None] | None = None

    def _webhook_receiver(self) -> WebhookReceiver | None:
        settings = self.services.settings.telegram
        if not settings.webhook_url:
            return None
        from bot.ops.webhook import WebhookReceiver  # aiohttp's server: loaded when used

        return WebhookReceiver(self.application, settings, ALLOWED_UPDATES)

    def _ops_endpoint(self) -> OpsEndpoint | None:
        settings = self.services.settings.ops
        if not settings.listen:
            return None
        # The endpoint brings aiohttp's server and prometheus_client (about 20 MB):
        # loaded only when an operator turns it on.
        from bot.ops.endpoint import OpsEndpoint

        return OpsEndpoint(self.services.sessions, settings, self.telemetry, settings.listen)

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.start()
        if self.ops is not None:
            await self.ops.start()
        if self._receive_updates and await self._updates_leader.try_acquire():
            # Only one process may receive updates; the others only deliver.
            assert self.application.updater is not None
            await self._publish_menus()
            if self.webhook is not None:
                await self.webhook.start()
            else:
                await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            await self._resume_progress()
        recovered = await self.worker.recover()
        if recovered:
            log.warning("deliveries in flight at the last stop were requeued count=%d", recovered)
        self._worker_task = asyncio.create_task(self.worker.run(self._stop), name="delivery")
        self.scheduler.start()
        log.info("newsbot started worker=%s", worker_id())

    async def _resume_progress(self) -> None:
        """Breaking progress a stop cut short goes on (only here: one process edits previews)."""
        application = self.application
        for follower in await resumed_progress(
            application.bot, self.services, keep_going=lambda: application.running
        ):
            application.create_task(follower)

    async def _publish_menus(self) -> None:
        try:
            await publish_command_menus(self.application.bot)
        except TelegramError as exc:  # Telegram keeps the previous menus
            log.warning("command menus not published error=%s", exc)

    async def stop(self) -> None:
        """Stop taking work, let in-flight sends finish, leave the rest queued."""
        await self.scheduler.shutdown()
        self._stop.set()
        if self._worker_task is not None:
            await self._worker_task
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.webhook is not None:
            await self.webhook.stop()
        await self._updates_leader.release()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        if self.ops is not None:
            await self.ops.stop()
        log.info("newsbot stopped")


async def run_until_stopped(settings: Settings, token: str, stop: asyncio.Event) -> WorkerStats:
    """``newsbot run``: everything, until ``stop`` is set (SIGINT/SIGTERM); what it delivered."""
    async with open_services(settings) as services:
        newsbot = NewsBot(services, token)
        await newsbot.start()
        try:
            await stop.wait()
        finally:
            await newsbot.stop()
        return newsbot.worker.stats
