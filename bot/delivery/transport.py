"""python-telegram-bot's networking over aiohttp: the same Bot API, less CPU per request.

PTB's default ``HTTPXRequest`` spends several milliseconds of CPU per request
in httpx/httpcore; at hundreds of messages a second that is the bot's whole
CPU. This ``BaseRequest`` keeps every PTB guarantee (PTB still builds the
request data and maps error codes to ``RetryAfter``, ``Forbidden`` ...), only
the HTTP exchange is aiohttp's. The composition root builds the Application
with ``make_request`` and ``make_updates_request``.
"""

from __future__ import annotations

import re
from typing import Any, cast

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.delivery.keepalive import KeepAliveClient, ResponseError
from config.settings import Settings

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
        """POST a body already encoded as JSON; the answer is read as for any PTB call.

        PTB's ``post`` still checks the status and maps every error to its exception
        (``RetryAfter``, ``Forbidden`` ...); only PTB's per-parameter encoding (a
        ``json.dumps`` per parameter, then one of the whole) is skipped.
        ``message_id_only``: the caller reads nothing of the sent message but its id
        (see ``parse_json_payload``).
        """
        body = JsonBody(payload, message_id_only=message_id_only)
        return await self.post(url, request_data=cast(RequestData, body))

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """PTB's parsing, but a send's answer is not parsed when only its id is wanted.

        The answer to a send repeats the whole message (its text, entities,
        chat): parsing it was 5 % of the bot's CPU per message in a broadcast
        (bench/RESULTS.md), to read one number. The Bot API writes that number
        first; an answer in any other form is parsed in full, as PTB would.
        """
        if type(payload) is _IdOnly:
            head = _SENT_HEAD.match(payload)
            if head is not None:
                return {"ok": True, "result": {"message_id": int(head[1])}}
        return BaseRequest.parse_json_payload(payload)

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
        if isinstance(request_data, JsonBody) and self._lean is not None:
            status, body = await self._post_lean(
                url, request_data.json_payload, read, connect, pool
            )
            return status, _IdOnly(body) if request_data.message_id_only else body
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

    async def _post_lean(
        self,
        url: str,
        payload: bytes,
        read: float | None,
        connect: float | None,
        pool: float | None,
    ) -> tuple[int, bytes]:
        assert self._lean is not None
        try:
            return await self._lean.post_json(
                url,
                payload,
                connect_timeout=(connect or DEFAULT_TIMEOUT) + (pool or 0.0),
                read_timeout=read or DEFAULT_TIMEOUT,
            )
        except TimeoutError as exc:
            raise TimedOut from exc
        except (OSError, ResponseError) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from None


class JsonBody:
    """A request body already encoded: what ``do_request`` reads of a ``RequestData``."""

    __slots__ = ("json_payload", "message_id_only")
    contains_files = False

    def __init__(self, payload: bytes, *, message_id_only: bool = False) -> None:
        self.json_payload = payload
        self.message_id_only = message_id_only


class _IdOnly(bytes):
    """An answer whose caller reads only the sent message's id."""


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
