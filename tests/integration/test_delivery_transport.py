"""The transport: PTB's errors, never the token in them, and the sends' lean HTTP/1.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.delivery.transport import AiohttpRequest, make_request
from bot.sandbox.emulator import BotApiEmulator
from config.settings import Settings

TOKEN = "123456:TEST-token-abcdefghij"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def test_a_refused_connection_is_a_network_error_without_the_token() -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    bot = Bot(TOKEN, base_url="http://127.0.0.1:9/bot{token}", request=make_request(Settings()))
    async with bot.request:  # initialize / shutdown the transport
        with pytest.raises(NetworkError) as caught:
            await bot.do_api_request("get_Me", return_type=None)
    assert TOKEN not in str(caught.value) and "aiohttp." in str(caught.value)
    assert caught.value.__cause__ is None  # the original, URL and all, is not chained


async def test_answers_and_errors_come_through_as_ptb_maps_them() -> None:
    async with BotApiEmulator(token=TOKEN) as emulator:
        bot = Bot(TOKEN, base_url=emulator.base_url, request=make_request(Settings()))
        async with bot:
            me = await bot.get_me()
            assert me.username == emulator.bot_username
            with pytest.raises(NetworkError, match=r"(?i)chat not found"):
                await bot.send_message(424242, "nobody")


async def _read_request(reader: asyncio.StreamReader) -> None:
    """Read one request, head and Content-Length body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)


async def _one_answer_server(answer: bytes) -> tuple[asyncio.Server, str]:
    """A raw HTTP server that answers every request with ``answer`` (then keeps the line)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await _read_request(reader)
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    break
        except asyncio.IncompleteReadError:
            pass  # the client closed its connection
        finally:
            writer.close()
            await writer.wait_closed()

    return await _serve(handle)


async def _serve(handle: Handler) -> tuple[asyncio.Server, str]:
    """A raw HTTP server on a free port of loopback, and the sendMessage URL on it."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage"


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 37\r\n\r\n" + b'{"ok":true,"result":{"message_id":7}}',
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'14\r\n{"ok":true,"result":\r\n11\r\n{"message_id":7}}\r\n0\r\n\r\n',
        b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n" + b'{"ok":true,"result":{"message_id":7}}',
    ],
    ids=["content-length", "chunked", "until-close"],
)
async def test_a_send_reads_each_way_a_server_frames_its_answer(answer: bytes) -> None:
    server, url = await _one_answer_server(answer)
    request = make_request(Settings())
    assert isinstance(request, AiohttpRequest)
    async with server, request:
        for _ in range(2):  # the second reuses the connection, or opens one when it was closed
            assert await request.post_json(url, b'{"chat_id":1,"text":"hi"}') == {"message_id": 7}


def _answer(body: bytes, status: bytes = b"200 OK") -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body)


SENT = b'{"ok":true,"result":{"message_id":7,"chat":{"id":1,"type":"private"},"text":"hi"}}'
# The same message written otherwise: spaces, another order of keys.
SENT_OTHERWISE = b'{"ok": true, "result": {"chat": {"id": 1, "type": "private"}, "message_id": 7}}'


@pytest.mark.parametrize(
    ("body", "message_id_only", "result"),
    [
        (SENT, True, {"message_id": 7}),
        (SENT, False, {"message_id": 7, "chat": {"id": 1, "type": "private"}, "text": "hi"}),
        (SENT_OTHERWISE, True, {"chat": {"id": 1, "type": "private"}, "message_id": 7}),
    ],
    ids=["id-only", "in-full", "other-form-in-full"],
)
async def test_a_send_that_wants_only_the_id_reads_it_from_the_bot_apis_head(
    body: bytes, message_id_only: bool, result: dict[str, object]
) -> None:
    server, url = await _one_answer_server(_answer(body))
    request = make_request(Settings())
    assert isinstance(request, AiohttpRequest)
    async with server, request:
        answer = await request.post_json(url, b'{"chat_id":1}', message_id_only=message_id_only)
    assert answer == result


# An error is read in full even when the send wanted only the sent message's id.
@pytest.mark.parametrize("message_id_only", [False, True], ids=["in-full", "id-only"])
async def test_a_send_maps_telegrams_429_to_retry_after(message_id_only: bool) -> None:
    body = b'{"ok":false,"error_code":429,"description":"Too Many","parameters":{"retry_after":3}}'
    server, url = await _one_answer_server(_answer(body, b"429 Too Many Requests"))
    request = make_request(Settings())
    assert isinstance(request, AiohttpRequest)
    async with server, request:
        with pytest.raises(RetryAfter) as caught:
            await request.post_json(url, b'{"chat_id":1}', message_id_only=message_id_only)
    assert caught.value.retry_after in (3, timedelta(seconds=3))


async def test_a_send_whose_answer_never_comes_times_out_and_the_next_one_goes_through() -> None:
    answered = b'{"ok":true,"result":{"message_id":7}}'
    silent_once = True

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal silent_once
        await _read_request(reader)
        if silent_once:  # the first request is read and never answered
            silent_once = False
            await reader.read()  # until the client gives up and closes
        else:
            writer.write(_answer(answered))
            await writer.drain()
        writer.close()

    server, url = await _serve(handle)
    request = AiohttpRequest(read_timeout=0.3)
    async with server, request:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            async with asyncio.timeout(30):  # a timeout that never fires fails here, not hangs
                await request.post_json(url, b'{"chat_id":1,"text":"hi"}')
        assert asyncio.get_running_loop().time() - started >= 0.3  # not before its time
        assert await request.post_json(url, b'{"chat_id":1,"text":"hi"}') == {"message_id": 7}


class _HeldAnswers:
    """A server that answers only when told to, and counts the requests it holds at once."""

    def __init__(self) -> None:
        self.held = 0
        self.most_held = 0
        self.release = asyncio.Event()
        self._arrived = asyncio.Condition()

    async def holding(self, count: int) -> None:
        """Wait until ``count`` requests are held."""
        async with asyncio.timeout(30), self._arrived:
            await self._arrived.wait_for(lambda: self.held >= count)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await _read_request(reader)
                async with self._arrived:
                    self.held += 1
                    self.most_held = max(self.most_held, self.held)
                    self._arrived.notify_all()
                await self.release.wait()
                self.held -= 1
                writer.write(_answer(b'{"ok":true,"result":{"message_id":7}}'))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass  # the client closed its connection
        finally:
            writer.close()


async def test_no_more_requests_than_the_pool_holds_are_in_flight_and_the_rest_wait() -> None:
    answers = _HeldAnswers()
    server, url = await _serve(answers.handle)
    request = AiohttpRequest(connection_pool_size=2)
    async with server, request:
        sends = [
            asyncio.create_task(request.post_json(url, b'{"chat_id":%d}' % n)) for n in range(5)
        ]
        await answers.holding(2)
        await asyncio.sleep(0.1)  # time for a third to arrive, were it let through
        assert answers.held == 2
        answers.release.set()
        async with asyncio.timeout(30):
            results = await asyncio.gather(*sends)
    assert results == [{"message_id": 7}] * 5
    assert answers.most_held == 2


async def test_a_send_cancelled_while_it_waits_for_room_gives_none_away() -> None:
    answers = _HeldAnswers()
    server, url = await _serve(answers.handle)
    request = AiohttpRequest(connection_pool_size=1)
    async with server, request:
        first = asyncio.create_task(request.post_json(url, b'{"chat_id":1}'))
        await answers.holding(1)
        waiting = asyncio.create_task(request.post_json(url, b'{"chat_id":2}'))
        await asyncio.sleep(0.05)
        waiting.cancel()
        answers.release.set()
        async with asyncio.timeout(30):  # the room the cancelled send waited for is not lost
            assert await first == {"message_id": 7}
            assert await request.post_json(url, b'{"chat_id":3}') == {"message_id": 7}
            assert await request.post_json(url, b'{"chat_id":4}') == {"message_id": 7}
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert answers.most_held == 1
