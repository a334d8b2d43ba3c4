"""A lean HTTP/1.1 keep-alive client for the one request a broadcast makes thousands of times.

A send is a JSON POST to the Bot API answered by a small JSON body. aiohttp's
client builds request and response objects, header multidicts, timers and
stream readers for each: at 1000 messages a second that was a third of the
bot's CPU (bench/RESULTS.md). Here a request is one ``transport.write`` on a
pooled connection and the answer is read by an ``asyncio.Protocol`` that knows
Content-Length and chunked bodies. TLS, timeouts and a cap on connections are
kept; anything else (uploads, getUpdates, other methods) stays on aiohttp.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections import deque
from typing import cast
from urllib.parse import urlsplit

Origin = tuple[str, str, int]  # scheme, host, port
MAX_URLS = 64  # request heads kept ready (a broadcast uses two: sendMessage, sendPhoto)
# Read timeouts are checked by one sweep this often, not by a timer per request:
# a timer per request (made, pushed on the event loop's heap, cancelled) cost
# more than the rest of the request's bookkeeping. A timeout fires up to this late.
SWEEP_EVERY = 0.1


# A field that frames the answer, at the start of a line of the lowered head. No
# space before the colon (RFC 9112): a name followed by one is another field.
_FRAMING = re.compile(r"\r\n(content-length|transfer-encoding|connection):([^\r]*)")


class ResponseError(ConnectionError):
    """The server's answer was not HTTP/1.1 as expected, or the connection closed mid-answer."""


class _Connection(asyncio.Protocol):
    """One connection; at most one request on it at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._status = 0
        self._length: int | None = None  # body bytes expected; None: chunked or until close
        self._chunked = False
        self._body_at = -1  # where the body starts in the buffer; -1: headers not complete
        self.reusable = True
        self.deadline = 0.0  # event-loop time by which the answer must have come

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's does not subclass asyncio.Transport).
        self.transport = cast(asyncio.Transport, transport)

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self._buffer.clear()
        self._body_at, self._length, self._chunked, self.reusable = -1, None, False, True
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self._waiter

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None or self._waiter.done():
            return
        try:
            body = self._body()
        except ResponseError as exc:
            self._fail(exc)
            return
        if body is not None:
            self._waiter.set_result((self._status, body))

    def _body(self) -> bytes | None:
        """The whole body once it has arrived, else None."""
        buffer = self._buffer
        if self._body_at < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return None
            self._headers(bytes(buffer[:end]).decode("latin-1"))
            self._body_at = end + 4
        if self._chunked:
            return _dechunked(buffer, self._body_at)
        if self._length is None:
            return None  # read until the server closes
        if len(buffer) - self._body_at < self._length:
            return None
        return bytes(buffer[self._body_at : self._body_at + self._length])

    def _headers(self, head: str) -> None:
        head = head.lower()  # field names are case-insensitive
        status_line = head.partition("\r\n")[0]
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("http/1.") or not parts[1].isdigit():
            raise ResponseError(f"not an HTTP/1.x answer: {status_line[:80]!r}")
        self._status = int(parts[1])
        self.reusable = parts[0] == "http/1.1"
        # Only the three fields that frame the answer are read; the loop over every
        # line was 30 % of the Python a request ran here (bench/RESULTS.md).
        for name, value in _FRAMING.findall(head):
            if name == "content-length":
                self._length = int(value)
            elif name == "transfer-encoding":
                self._chunked = self._chunked or "chunked" in value
            else:
                self.reusable = value.strip() != "close"
        if self._length is None and not self._chunked:
            self.reusable = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._body_at >= 0 and self._length is None and not self._chunked:
            waiter.set_result((self._status, bytes(self._buffer[self._body_at :])))
        else:
            waiter.set_exception(ResponseError(f"connection closed before the answer: {exc!r}"))

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self.close()

    def time_out(self) -> None:
        self._fail(TimeoutError("no answer in time"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _dechunked(buffer: bytearray, start: int) -> bytes | None:
    """A chunked body decoded, or None while its last chunk has not arrived."""
    body = bytearray()
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        try:
            size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        except ValueError as exc:
            raise ResponseError("bad chunk size") from exc
        at = line_end + 2
        if size == 0:
            return bytes(body) if buffer.find(b"\r\n", at) >= 0 else None
        if len(buffer) < at + size + 2:
            return None
        body += buffer[at : at + size]
        at += size + 2


class _Slots:
    """At most ``limit`` holders at a time; the others wait their turn in order.

    ``asyncio.Semaphore`` runs its Python (a look over its waiters, a context
    manager) on every request, though a broadcast's requests nearly never wait:
    13 % of the Python a request ran here (bench/RESULTS.md).
    """

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def take(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # give_back hands its slot straight to this waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back()  # handed a slot while being cancelled: pass it on
            raise

    def give_back(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class KeepAliveClient:
    """POSTs of JSON bodies over pooled HTTP/1.1 connections, at most ``limit`` at a time."""

    def __init__(self, *, limit: int, user_agent: str) -> None:
        self._slots = _Slots(limit)
        self._user_agent = user_agent
        self._idle: dict[Origin, list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None
        self._heads: dict[str, tuple[Origin, bytes]] = {}  # url -> origin, request line + headers
        self._waiting: set[_Connection] = set()  # requests written, answers not yet read
        self._sweep: asyncio.TimerHandle | None = None

    async def post_json(
        self, url: str, payload: bytes, *, connect_timeout: float, read_timeout: float
    ) -> tuple[int, bytes]:
        """Status and body of the answer; TimeoutError, OSError or ResponseError on failure."""
        origin, head = self._head(url)
        data = head + b"Content-Length: %d\r\n\r\n" % len(payload) + payload
        await self._slots.take()
        try:
            connection = await self._connection(origin, connect_timeout)
            loop = asyncio.get_running_loop()
            connection.deadline = loop.time() + read_timeout
            self._waiting.add(connection)
            if self._sweep is None:
                self._sweep = loop.call_later(SWEEP_EVERY, self._time_out_late)
            try:
                status, body = await connection.request(data)
            except BaseException:
                connection.close()  # a cancelled or failed exchange leaves the connection unusable
                raise
            finally:
                self._waiting.discard(connection)
            if connection.reusable and not connection.closed:
                self._idle.setdefault(origin, []).append(connection)
            else:
                connection.close()
            return status, body
        finally:
            self._slots.give_back()

    def _time_out_late(self) -> None:
        """Fail the requests whose answer is late; look again while any is waiting."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        for connection in [c for c in self._waiting if c.deadline <= now]:
            connection.time_out()
        self._sweep = loop.call_later(SWEEP_EVERY, self._time_out_late) if self._waiting else None

    def _head(self, url: str) -> tuple[Origin, bytes]:
        known = self._heads.get(url)
        if known is None:
            if len(self._heads) >= MAX_URLS:
                self._heads.clear()
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            host = parts.hostname or ""
            port = parts.port or (443 if scheme == "https" else 80)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            host_header = host if parts.port is None else f"{host}:{port}"
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\n"
                f"User-Agent: {self._user_agent}\r\nContent-Type: application/json\r\n"
                "Connection: keep-alive\r\n"
            ).encode("latin-1")
            known = self._heads[url] = ((scheme, host, port), head)
        return known

    async def _connection(self, origin: Origin, connect_timeout: float) -> _Connection:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            transport = connection.transport
            if not connection.closed and transport is not None and not transport.is_closing():
                return connection
        scheme, host, port = origin
        tls = None
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(connect_timeout):
            _, connection = await loop.create_connection(_Connection, host, port, ssl=tls)
        return connection

    def close(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
