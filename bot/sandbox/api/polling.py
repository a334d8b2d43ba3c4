"""getUpdates: how updates leave the world for a bot that long-polls.

One long poll at a time, as on Telegram: a newer getUpdates ends an older one
with 409, and an active webhook (bot.sandbox.api.webhooks) forbids polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

from bot.sandbox.api.switchboard import Switchboard
from bot.sandbox.errors import ApiError
from bot.sandbox.params import Params
from bot.sandbox.world.state import DEFAULT_UPDATES

__all__ = ["Polling"]


class Polling(Switchboard):
    """The methods that hand updates to the bot."""

    async def _m_getUpdates(self, params: Params) -> list[dict[str, Any]]:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset") or 0
        limit = min(100, max(1, params.integer("limit") or 100))
        timeout = max(0.0, params.number("timeout", 0.0))
        allowed = params.parsed("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATES
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wakeup.set()  # an older long poll still waiting ends with a conflict
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            ready = list(itertools.islice(self._updates, limit))
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                return ready
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        elif offset:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
