"""An aiohttp application listening on ``HOST:PORT``: started, told its port, stopped."""

from __future__ import annotations

from aiohttp import web

from config.settings import parse_listen


class Listener:
    """One aiohttp app on one address (port 0: any free port, see ``port``)."""

    def __init__(self, app: web.Application, listen: str) -> None:
        self._app = app
        self._host, self._port = parse_listen(listen)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        self._port = self._runner.addresses[0][1]

    @property
    def port(self) -> int:
        return self._port

    @property
    def origin(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
