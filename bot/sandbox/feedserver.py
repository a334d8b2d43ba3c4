"""A local HTTP server for feeds, article pages and photos, scriptable from tests.

It behaves like a well-run news site (ETag/Last-Modified and 304 answers) and can
be told to misbehave: fail with a status for a while, answer slowly, redirect.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime

from aiohttp import web

from bot.sandbox.media import make_image

__all__ = ["FeedServer"]


@dataclass
class _Resource:
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    modified_at: float
    headers: dict[str, str]


class FeedServer:
    """Serves what tests ``put``; counts hits and 304 answers per path."""

    def __init__(self) -> None:
        self._resources: dict[str, _Resource] = {}
        self._hits: dict[str, int] = {}
        self._last_headers: dict[str, dict[str, str]] = {}
        self._not_modified: dict[str, int] = {}
        self._failures: dict[str, list[int]] = {}  # path -> [status, remaining]
        self._delays: dict[str, float] = {}
        self._redirects: dict[str, tuple[str, int]] = {}
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = self._runner.addresses[0][1]  # the real port when port=0

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FeedServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    # ------------------------------------------------------------------ content

    def put(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "application/rss+xml; charset=utf-8",
        *,
        etag: bool = True,
        last_modified: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve ``body`` at ``path``; validators change only when the body changes.

        ``headers`` are sent as well (e.g. Cache-Control, or a lying Content-Type charset).
        """
        key = _key(path)
        data = body.encode("utf-8") if isinstance(body, str) else body
        old = self._resources.get(key)
        if old is not None and old.body == data:
            modified_at = old.modified_at
        else:
            modified_at = time.time()
            if old is not None and int(modified_at) <= int(old.modified_at):
                modified_at = old.modified_at + 1  # Last-Modified has 1 s resolution
        self._resources[key] = _Resource(
            body=data,
            content_type=content_type,
            etag=f'"{hashlib.sha1(data).hexdigest()[:20]}"' if etag else None,
            last_modified=formatdate(modified_at, usegmt=True) if last_modified else None,
            modified_at=modified_at,
            headers=dict(headers or {}),
        )

    def put_image(
        self,
        path: str,
        width: int = 1200,
        height: int = 675,
        fmt: str = "JPEG",
        color: tuple[int, int, int] = (30, 90, 160),
    ) -> bytes:
        """Serve a generated picture; returns its bytes."""
        data = make_image(width, height, fmt=fmt, color=color)
        self.put(path, data, content_type=f"image/{fmt.lower()}")
        return data

    def remove(self, path: str) -> None:
        self._resources.pop(_key(path), None)

    def fail(self, path: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status``."""
        self._failures[_key(path)] = [status, times]

    def delay(self, path: str, seconds: float) -> None:
        """Wait ``seconds`` before answering requests for ``path`` (0 to stop)."""
        self._delays[_key(path)] = seconds

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        """Redirect ``path`` to ``to`` (a path on this server or a full URL)."""
        self._redirects[_key(path)] = (to if "://" in to else self.url(to), status)

    def hits(self, path: str) -> int:
        return self._hits.get(_key(path), 0)

    def last_request_headers(self, path: str) -> dict[str, str]:
        """The headers of the latest request for ``path`` (e.g. If-None-Match, User-Agent)."""
        return dict(self._last_headers.get(_key(path), {}))

    def not_modified(self, path: str) -> int:
        return self._not_modified.get(_key(path), 0)

    # ------------------------------------------------------------------ HTTP

    def _known_paths(self) -> set[str]:
        return {*self._resources, *self._failures, *self._delays, *self._redirects}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        key = _key(request.match_info["path"])
        if request.query_string and f"{key}?{request.query_string}" in self._known_paths():
            key = f"{key}?{request.query_string}"
        self._hits[key] = self._hits.get(key, 0) + 1
        self._last_headers[key] = dict(request.headers)
        delay = self._delays.get(key)
        if delay:
            await asyncio.sleep(delay)
        failure = self._failures.get(key)
        if failure is not None:
            failure[1] -= 1
            if failure[1] <= 0:
                del self._failures[key]
            return web.Response(status=failure[0], text=f"status {failure[0]}")
        redirect = self._redirects.get(key)
        if redirect is not None:
            return web.Response(status=redirect[1], headers={"Location": redirect[0]})
        resource = self._resources.get(key)
        if resource is None:
            return web.Response(status=404, text="not found")
        headers = dict(resource.headers)
        if resource.etag:
            headers["ETag"] = resource.etag
        if resource.last_modified:
            headers["Last-Modified"] = resource.last_modified
        if _is_fresh(request, resource):
            self._not_modified[key] = self._not_modified.get(key, 0) + 1
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = resource.content_type
        body = b"" if request.method == "HEAD" else resource.body
        return web.Response(body=body, headers=headers)


def _key(path: str) -> str:
    return "/" + path.lstrip("/")


def _is_fresh(request: web.Request, resource: _Resource) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if resource.etag is None:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or resource.etag in tags
    since = request.headers.get("If-Modified-Since")
    if since and resource.last_modified:
        try:
            return int(resource.modified_at) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False
