"""A real bot, wired to the local Bot API emulator, a feed server and a real database.

Tests drive it from the outside: they put feeds on the feed server, inject
Telegram updates into the emulator and read what each chat received.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.app import NewsBot, open_services
from bot.newsroom.services import Services
from bot.sandbox.emulator import BotApiEmulator
from config.settings import Settings
from storage.models import Delivery, Feed

TOKEN = "123456:TEST-token-abcdefghijklmnop"

# Fast clocks for tests: the scheduler ticks often and delivery is not throttled
# below what a test needs.
FAST = {
    "polling": {"tick": 0.1, "timeout": 5},
    "delivery": {"rate": 200, "backoff_base": 0.05, "backoff_max": 0.5},
}


def make_settings(api_root: str, database_url: str, **values: Any) -> Settings:
    """Settings as a file plus environment would give them, for a test."""
    data: dict[str, Any] = {
        "bot_token": TOKEN,
        "api_url": api_root,
        "database_url": database_url,
        "allow_private_fetch": True,
        **{key: dict(section) for key, section in FAST.items()},
    }
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Settings.model_validate(data)


@dataclass
class RunningBot:
    emulator: BotApiEmulator
    services: Services
    newsbot: NewsBot

    async def pending_deliveries(self) -> int:
        from sqlalchemy import func, select

        async with self.services.sessions() as session:
            query = (
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("pending", "sending")))
            )
            return int(await session.scalar(query) or 0)

    async def feeds_polled(self) -> int:
        """How many feeds have had their first poll (their entries so far are 'seen')."""
        from sqlalchemy import func, select

        async with self.services.sessions() as session:
            query = select(func.count()).select_from(Feed).where(Feed.first_polled_at.is_not(None))
            return int(await session.scalar(query) or 0)


@asynccontextmanager
async def running_bot(
    emulator: BotApiEmulator, database_url: str, *, receive_updates: bool = True, **values: Any
) -> AsyncIterator[RunningBot]:
    """Start the whole bot (updates, scheduler, delivery) as ``newsbot run`` would."""
    settings = make_settings(emulator.api_root, database_url, **values)
    async with open_services(settings) as services:
        newsbot = NewsBot(services, TOKEN, receive_updates=receive_updates)
        await newsbot.start()
        try:
            yield RunningBot(emulator, services, newsbot)
        finally:
            await newsbot.stop()


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    """Wait for an async condition (over the database, a server's log ...) to hold."""
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{getattr(condition, '__name__', condition)} never became true")


async def wait_until_polled(bot: RunningBot, count: int = 1, seconds: float = 10.0) -> None:
    """Until ``count`` feeds have had their first poll."""

    async def first_polls_done() -> bool:
        return await bot.feeds_polled() >= count

    await until(first_polls_done, seconds)
