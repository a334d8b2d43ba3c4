"""Updates by webhook: an aiohttp receiver that checks Telegram's secret token on every
request and hands the update to PTB's queue, and the setWebhook that points Telegram at it.

Why our own receiver rather than PTB's ``Updater.start_webhook``: that needs
tornado as a second HTTP server stack next to aiohttp (already here for the
emulator and the operator endpoint), and a few lines of aiohttp keep the
secret check, the listen address and the path in plain sight. PTB's
``Application`` processes what we put on its ``update_queue`` exactly as it
does with polled updates.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.ops.listener import Listener
from config.settings import TelegramSettings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def webhook_secret(settings: TelegramSettings) -> str:
    """The configured secret token, or a fresh random one (set again with every start)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -, as Telegram allows


class WebhookReceiver:
    """Listens on ``webhook_listen`` at the webhook URL's path; only Telegram gets in."""

    def __init__(
        self,
        application: AnyApplication,
        settings: TelegramSettings,
        allowed_updates: Sequence[str],
    ) -> None:
        assert settings.webhook_url is not None
        self.url = settings.webhook_url
        self._secret = webhook_secret(settings)
        self._application = application
        self._allowed_updates = list(allowed_updates)
        app = web.Application()
        app.router.add_post(urlsplit(self.url).path or "/", self._receive)
        self.listener = Listener(app, settings.webhook_listen)

    async def start(self) -> None:
        """Listen first, then tell Telegram where to push (it may push at once)."""
        await self.listener.start()
        await self._application.bot.set_webhook(
            self.url, secret_token=self._secret, allowed_updates=self._allowed_updates
        )
        log.info("receiving updates by webhook listen=%s", self.listener.origin)

    async def stop(self) -> None:
        # The webhook stays set: Telegram keeps the updates until the next start.
        await self.listener.stop()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("webhook request refused: wrong secret token peer=%s", request.remote)
            return web.Response(status=403, text="forbidden\n")
        try:
            update = Update.de_json(await request.json(), self._application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request refused: not an update error=%s", exc)
            return web.Response(status=400, text="not an update\n")
        await self._application.update_queue.put(update)
        return web.Response(text="ok\n")
