"""HTTP fetching for feeds, article pages and photos: bounded and polite.

Timeouts, a body-size cap, bounded redirects checked at every hop, a real
User-Agent and conditional GET. Links found *inside* feeds may reach only
public addresses or the feed's own origin, unless private fetching is allowed
(an intranet site, or the tests' local servers).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from config.settings import PollingSettings

log = logging.getLogger(__name__)

# Only these are redirects; other 3xx (304 Not Modified above all) are answers.
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """The resource could not be fetched; the message says why, for the operator."""


class TooLarge(FetchError):
    pass


class Refused(FetchError):
    """The URL's address is not one the bot may reach."""


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    declared_size: int | None = None  # Content-Length, when the server sent one
    truncated: bool = False  # only the first bytes were read (``peek``)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a URL (default ports made explicit)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class Fetcher:
    """One httpx client shared by every fetch; redirects are followed by hand."""

    def __init__(self, settings: PollingSettings, *, allow_private: bool = False) -> None:
        self._settings = settings
        self._allow_private = allow_private
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            headers={"User-Agent": settings.user_agent},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        trusted_origin: str | None = None,
        max_bytes: int | None = None,
        accept: str | None = None,
        peek: bool = False,
    ) -> FetchResult:
        """GET ``url``; when ``trusted_origin`` is given, every hop must pass the address policy.

        ``trusted_origin`` is the URL of the feed a link was found in: that
        origin is always allowed, other hosts must resolve to public addresses.
        Feeds themselves are fetched with ``trusted_origin=None`` (the
        settings name them, so they are trusted).

        With ``peek``, a body longer than ``max_bytes`` is cut there instead of
        refused: enough to read an image's header without downloading it.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        limit = max_bytes or self._settings.max_bytes
        current = url
        for _hop in range(self._settings.max_redirects + 1):
            if trusted_origin is not None:
                await self.check_address(current, trusted_origin)
            result = await self._get_once(current, headers, limit, peek)
            if isinstance(result, FetchResult):
                return result
            current = result
        raise FetchError(f"more than {self._settings.max_redirects} redirects")

    async def _get_once(
        self, url: str, headers: dict[str, str], limit: int, peek: bool
    ) -> FetchResult | str:
        """The response, or the URL a redirect points to."""
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise Refused(f"only http and https URLs are fetched, not {scheme or 'this'}: {url}")
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"redirect without a Location from {url}")
                    return urljoin(url, location)
                declared = _content_length(response)
                if peek:
                    body = await _read_head(response, limit)
                    truncated = len(body) >= limit and declared != len(body)
                else:
                    body, truncated = await _read_capped(response, limit, declared), False
                return FetchResult(
                    url=str(response.url),
                    status=response.status_code,
                    body=body,
                    content_type=response.headers.get("content-type"),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    declared_size=declared,
                    truncated=truncated,
                )
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out fetching {url} ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None

    async def check_address(self, url: str, trusted_origin: str) -> None:
        """Refuse a link whose host is private or loopback, unless it is the feed's own origin."""
        if self._allow_private or origin(url) == origin(trusted_origin):
            return
        host = urlsplit(url).hostname
        if not host:
            raise Refused(f"no host in {url}")
        for address in await _resolve(host):
            if not address.is_global:
                raise Refused(f"{host} resolves to non-public address {address}")


def _content_length(response: httpx.Response) -> int | None:
    declared = response.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


async def _read_capped(response: httpx.Response, limit: int, declared: int | None) -> bytes:
    if declared is not None and declared > limit:
        raise TooLarge(f"{response.url} is {declared} bytes, over the {limit}-byte cap")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{response.url} is over the {limit}-byte cap")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_head(response: httpx.Response, limit: int) -> bytes:
    """The first ``limit`` bytes; the rest is never downloaded."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


async def _resolve(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]
