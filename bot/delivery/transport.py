"""python-telegram-bot's networking over aiohttp: the same Bot API, less CPU per request.

PTB's default ``HTTPXRequest`` spends several milliseconds of CPU per request
in httpx/httpcore; at hundreds of messages a second that is the bot's whole
CPU. This ``BaseRequest`` keeps every PTB guarantee (PTB still builds the
request data and maps error codes to ``RetryAfter``, ``Forbidden`` ...), only
the HTTP exchange is aiohttp's. A broadcast's sends take a shorter road
(``post_json``): one write on a kept-alive connection (``keepalive.py``), and
only their errors go through PTB. The composition root builds the Application
with ``make_request`` and ``make_updates_request``.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.delivery.keepalive import KeepAliveClient, ResponseError
from config.settings import Settings

_OK = int(HTTPStatus.OK)  # read per send: a plain int, not an enum member's lookup
_TOKEN_IN_URL = re.compile(r"(/(?:file/)?bot)[^/\s]+")
DEFAULT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0
POOL_TIMEOUT = 1.0


class AiohttpRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` on one ``aiohttp.ClientSession``."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._lean: KeepAliveClient | None = None  # for JsonBody requests: the sends
        # The lean client has no pool wait of its own: the connect budget covers it.
        self._lean_connect_timeout = (connect_timeout or DEFAULT_TIMEOUT) + (pool_timeout or 0.0)
        self._lean_read_timeout = read_timeout or DEFAULT_TIMEOUT

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # Bot API URLs carry the token: aiohttp logs nothing by default; keep it so.
                trace_configs=None,
            )
        if self._lean is None:
            self._lean = KeepAliveClient(limit=self._pool_size, user_agent=self.USER_AGENT)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        if self._lean is not None:
            self._lean.close()
            self._lean = None

    async def post_json(self, url: str, payload: bytes, *, message_id_only: bool = False) -> Any:
        """POST a body already encoded as JSON: the Bot API's ``result``, or PTB's exception.

        A send is one write and one read on a kept-alive connection: PTB's
        per-parameter encoding was a fifth of the bot's CPU per message in a
        broadcast, its request layers (``post``, the status handling,
        ``do_request``) a few percent more (bench/RESULTS.md). Any answer but a
        success is handed to PTB as it came, and PTB raises what it raises for
        its own requests (``RetryAfter``, ``Forbidden``, ``ChatMigrated`` ...).

        ``message_id_only``: the caller reads nothing of the sent message but its
        id. The answer repeats the whole message (text, entities, chat): parsing
        it took 10 µs, about 3 % of the CPU per message, to read one number. The
        Bot API writes that number first; an answer in any other form is parsed
        in full.
        """
        if self._lean is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        try:
            status, body = await self._lean.post_json(
                url,
                payload,
                connect_timeout=self._lean_connect_timeout,
                read_timeout=self._lean_read_timeout,
            )
        except TimeoutError as exc:
            raise TimedOut from exc
        except (OSError, ResponseError) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from None
        if not _OK <= status <= 299:
            return await _Answered(status, body).post(url)
        if message_id_only:
            head = _SENT_HEAD.match(body)
            if head is not None:
                return {"message_id": int(head[1])}
        return self.parse_json_payload(body)["result"]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = _pick(read_timeout, self._read_timeout)
        connect = _pick(connect_timeout, self._connect_timeout)
        pool = _pick(pool_timeout, self._pool_timeout)
        has_files = bool(request_data and request_data.contains_files)
        write = _pick(
            write_timeout, self._media_write_timeout if has_files else self._write_timeout
        )
        # aiohttp has no separate write timeout: the send of the body counts
        # against sock_read's clock start; the connect budget covers the pool wait.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=None if read is None else read + ((write or 0.0) if has_files else 0.0),
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Some aiohttp errors quote the URL, and Bot API URLs carry the token.
            detail = _TOKEN_IN_URL.sub(r"\1<token>", str(exc))
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {detail}") from None


class _Answered(BaseRequest):
    """An answer already received, read by PTB's own request code (its errors, its parsing)."""

    def __init__(self, status: int, body: bytes) -> None:
        self._answer = (status, body)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        return self._answer


# How the Bot API begins the answer to a send: {"ok":true,"result":{"message_id":N,...
_SENT_HEAD = re.compile(rb'\{"ok":true,"result":\{"message_id":(\d+)[,}]')


def _pick(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _body(request_data: RequestData | None) -> Any:
    """A JSON body (the Bot API takes one; cheaper to build than a form); multipart for files."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return aiohttp.BytesPayload(request_data.json_payload, content_type="application/json")
    fields = request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        filename, content, mimetype = upload[0], upload[1], upload[2] if len(upload) > 2 else None
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def make_request(settings: Settings) -> BaseRequest:
    """The transport for every Bot API call but getUpdates: pooled for many sends in flight."""
    pool = max(256, int(settings.delivery.concurrency) * 2)
    return AiohttpRequest(connection_pool_size=pool)


def make_updates_request(settings: Settings) -> BaseRequest:
    """The transport for getUpdates: one connection; PTB adds the long-poll timeout itself."""
    return AiohttpRequest(connection_pool_size=1, read_timeout=DEFAULT_TIMEOUT)
