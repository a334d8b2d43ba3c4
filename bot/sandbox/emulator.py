"""A local Telegram Bot API emulator that the real python-telegram-bot talks to over HTTP.

It serves ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` with
Telegram's answer shapes and error strings (telegram.md A4). The layers:
``World`` (bot.sandbox.world.actions) is the scriptable Telegram around the bot,
``BotApi`` (bot.sandbox.api.botapi) the methods the bot calls, and ``BotApiEmulator``
here the HTTP server, plus the ``/_sandbox/...`` control endpoints
(bot.sandbox.control) for a bot running in another process.

Run it standalone with ``python -m bot.sandbox.emulator --port 8081``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import signal
import sys
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.api.botapi import BotApi
from bot.sandbox.api.switchboard import DISCONNECT
from bot.sandbox.control import add_control_routes
from bot.sandbox.errors import ApiError
from bot.sandbox.limits import TelegramLimits
from bot.sandbox.media import FILE_UPLOAD_MAX
from bot.sandbox.model import SentMessage
from bot.sandbox.params import Params, UploadedFile

__all__ = ["DEFAULT_TOKEN", "BotApiEmulator", "SentMessage", "TelegramLimits"]

DEFAULT_TOKEN = "123456:TEST-token-abcdefghij"


class BotApiEmulator(BotApi):
    """The Bot API of one bot over HTTP, with a scriptable world around it."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        limits: TelegramLimits | None = None,
        latency: float = 0.0,
        bot_username: str = "newsbot_test_bot",
    ) -> None:
        super().__init__(token, limits=limits, latency=latency, bot_username=bot_username)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._host = "127.0.0.1"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=FILE_UPLOAD_MAX + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = self._runner.addresses[0][1]  # the real port when port=0
        self._closing = False
        self._wakeup = asyncio.Event()  # bound to this loop, whatever loop built the emulator
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        self._closing = True
        self._wakeup.set()
        await self._stop_pusher()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def api_root(self) -> str:
        """The value for NEWSBOT_API_URL."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.api_root}/bot{{token}}"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_root}/file/bot{{token}}"

    async def _handle_bot(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        method = request.match_info["method"].lower()
        if not self.knows(method):
            return _answer(ApiError(404, "Not Found: method not found").body(), 404)
        try:
            params = await _read_params(request)
        except ApiError as err:
            return _answer(err.body(), err.code)
        status, body = await self.call(method, params)
        if status == DISCONNECT and request.transport is not None:
            request.transport.close()
        return _answer(body, status or 500)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return _answer(ApiError(404, "Not Found").body(), 404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )


def _answer(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values, files)
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError.bad_request("can't parse JSON object") from None
        if isinstance(body, dict):
            values.update(body)
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                files[part.name] = UploadedFile(
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type", ""),
                    content=bytes(await part.read()),
                )
            else:
                values[part.name] = await part.text()
    else:
        form = await request.post()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return Params(values, files)


# ---------------------------------------------------------------------- CLI


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.emulator", description="Local Telegram Bot API emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="newsbot_test_bot")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's flood limits")
    parser.add_argument("--paid-limit", type=float, default=1000, help="paid broadcasts per second")
    parser.add_argument(
        "--private-burst", type=int, default=1, help="messages a private chat may take at once"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    limits = None
    if args.limits:
        limits = TelegramLimits(paid_per_second=args.paid_limit, private_burst=args.private_burst)
    emulator = BotApiEmulator(
        token=args.token, limits=limits, latency=args.latency, bot_username=args.bot_username
    )
    await emulator.start(args.host, args.port)
    print(emulator.api_root, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    freezer = asyncio.create_task(_freeze_kept_objects(stop))
    try:
        await stop.wait()
    finally:
        await freezer
        await emulator.stop()


async def _freeze_kept_objects(stop: asyncio.Event) -> None:
    """Keep what the emulator stores out of the garbage collector's way.

    A long run keeps every message it was sent; full collections over them
    pause the loop for tens of milliseconds, and arrivals then bunch up into a
    rate-limit window that the bot's pacing never filled. Telegram has no such
    pauses, so the emulator moves what it has kept into the permanent
    generation (``gc.freeze``) every second.
    """
    while not stop.is_set():
        gc.freeze()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def main(argv: list[str] | None = None) -> int:
    asyncio.run(_serve(_parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
