"""The operator's HTTP endpoint: ``/healthz`` (200 or 503 with the reasons) and ``/metrics``.

Counters come from ``bot.telemetry``; the figures the database knows (queue
depth, oldest pending delivery, last successful poll) are read at each
request, so a scrape never shows a stale queue.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ops.health import Health, judge, unreachable
from bot.ops.listener import Listener
from bot.ops.metrics import CONTENT_TYPE_LATEST, exposition
from bot.telemetry import Telemetry
from config.settings import OpsSettings
from storage.db import utcnow
from storage.health import ping, vitals

log = logging.getLogger(__name__)

# A database that does not answer within this long counts as unreachable.
DATABASE_TIMEOUT = 5.0


class OpsEndpoint:
    """/healthz and /metrics on ``[ops] listen``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: OpsSettings,
        telemetry: Telemetry,
        listen: str,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._telemetry = telemetry
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self.listener = Listener(app, listen)

    async def start(self) -> None:
        await self.listener.start()
        log.info("ops endpoint listening at %s", self.listener.origin)

    async def stop(self) -> None:
        await self.listener.stop()

    async def check(self) -> Health:
        """The database's vitals judged; unreachable when it does not answer."""
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), self._sessions() as session:
                await ping(session)
                found = await vitals(session)
        except Exception as exc:  # whatever the driver raises, the answer is the same
            log.warning("health check: database unreachable error=%s", exc)
            return unreachable(exc)
        return judge(found, utcnow(), self._settings)

    async def _healthz(self, request: web.Request) -> web.Response:
        """``ok`` or one reason a line, then the figures as ``key=value`` lines."""
        health = await self.check()
        lines = [*health.reasons] or ["ok"]
        lines += [f"{key}={_figure(value)}" for key, value in health.details.items()]
        return web.Response(text="\n".join(lines) + "\n", status=200 if health.healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=exposition(self._telemetry, _gauges((await self.check()).details)),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )


def _gauges(details: dict[str, float | int | None]) -> dict[str, float]:
    """The database's figures as the gauges name them; none when it did not answer."""
    if not details:
        return {}
    last_poll = details["last_poll_age_seconds"]
    return {
        "newsbot_queue_depth": details["queue_depth"] or 0,
        "newsbot_queue_oldest_pending_seconds": details["oldest_pending_seconds"] or 0,
        "newsbot_last_feed_poll_age_seconds": -1 if last_poll is None else last_poll,
    }


def _figure(value: float | int | None) -> str:
    if value is None:
        return "none"
    return str(round(value)) if isinstance(value, float) else str(value)
