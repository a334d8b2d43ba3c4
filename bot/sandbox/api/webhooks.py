"""setWebhook and its kin, and the pusher that POSTs each update to the bot's webhook.

As on Telegram: the URL must be HTTPS; ``secret_token`` comes back in the
``X-Telegram-Bot-Api-Secret-Token`` header of every push; an update leaves
the queue only when the bot answered 2xx, otherwise it is pushed again a
little later (and getWebhookInfo tells the last error); getUpdates answers
409 while a webhook is set (bot.sandbox.api.polling).

There is no TLS locally, so a test says where the HTTPS proxy in front of
the bot forwards to: ``route_webhooks("http://127.0.0.1:PORT")`` keeps the
registered URL's path and query and replaces its scheme, host and port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bot.sandbox.api.switchboard import Switchboard
from bot.sandbox.errors import ApiError
from bot.sandbox.params import Params
from bot.sandbox.world.state import DEFAULT_UPDATES

__all__ = ["SECRET_HEADER", "Push", "Webhooks"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram retries a refused push after a while; the emulator after a short one.
RETRY_DELAY = 0.2
PUSH_TIMEOUT = 10.0


@dataclass(frozen=True)
class Push:
    """One attempt to deliver an update by webhook, as the emulator made it."""

    update_id: int
    url: str
    status: int  # the bot's HTTP status; 0 when the connection failed


class Webhooks(Switchboard):
    """The webhook methods and the task that pushes updates while a webhook is set."""

    def _reset(self) -> None:
        super()._reset()
        self._webhook_secret = ""
        self._webhook_route = getattr(self, "_webhook_route", "")
        self._last_push_error = ""
        self.pushes: list[Push] = []
        self._pusher: asyncio.Task[None] | None = getattr(self, "_pusher", None)

    def route_webhooks(self, origin: str) -> None:
        """Forward pushes to ``origin`` (``http://host:port``), as a TLS proxy would."""
        self._webhook_route = origin.rstrip("/")

    async def _m_setWebhook(self, params: Params) -> bool:
        url = params.text("url") or ""
        if url and not url.startswith("https://"):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token") or ""
        if secret and not _valid_secret(secret):
            raise ApiError.bad_request("secret token contains unallowed characters")
        allowed = params.parsed("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATES
        self._webhook_url, self._webhook_secret = url, secret
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        self._poll_generation += 1  # a long poll still waiting ends (with a conflict)
        self._wakeup.set()
        if url:
            self._start_pusher()
        return True

    async def _m_deleteWebhook(self, params: Params) -> bool:
        self._webhook_url = self._webhook_secret = ""
        self._wakeup.set()  # the pusher sees the webhook gone and ends
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_url and self._last_push_error:
            info["last_error_message"] = self._last_push_error
            info["last_error_date"] = int(self.now())
        if self._webhook_url and self._allowed_updates != DEFAULT_UPDATES:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    def _start_pusher(self) -> None:
        if self._session is None:
            raise ApiError(500, "Internal Server Error: emulator not started")
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._push_updates(), name="webhook-pusher")

    async def _stop_pusher(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None

    async def _push_updates(self) -> None:
        """Push the oldest pending update until none is left; wait for more; end with the hook."""
        while self._webhook_url and not self._closing:
            if not self._updates:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            update = self._updates[0]
            if await self._push(update):
                if self._updates and self._updates[0] is update:
                    self._updates.popleft()
            else:
                await asyncio.sleep(RETRY_DELAY)

    async def _push(self, update: dict[str, Any]) -> bool:
        url = self._target(self._webhook_url)
        headers = {SECRET_HEADER: self._webhook_secret} if self._webhook_secret else {}
        session = self._session
        assert session is not None
        status = 0
        try:
            async with session.post(
                url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(PUSH_TIMEOUT)
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._last_push_error = f"Connection failed: {type(exc).__name__}"
        self.pushes.append(Push(update["update_id"], url, status))
        if 200 <= status < 300:
            self._last_push_error = ""
            return True
        if status:
            self._last_push_error = f"Wrong response from the webhook: {status}"
        log.info("webhook push refused update_id=%s status=%s", update["update_id"], status)
        return False

    def _target(self, url: str) -> str:
        if not self._webhook_route:
            return url
        parts = urlsplit(url)
        route = urlsplit(self._webhook_route)
        return urlunsplit((route.scheme, route.netloc, parts.path or "/", parts.query, ""))


def _valid_secret(secret: str) -> bool:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    return len(secret) <= 256 and set(secret) <= allowed
