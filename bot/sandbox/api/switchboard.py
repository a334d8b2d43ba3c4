"""Where every Bot API call arrives: the method table, latency, counters, the log, faults.

``call`` routes a request to its ``_m_<method>`` and adds what every request
gets; tests inject failures, delays and disconnects here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.sandbox.errors import ApiError
from bot.sandbox.limits import FloodControl, TelegramLimits
from bot.sandbox.params import Params
from bot.sandbox.world.actions import World

__all__ = ["BOT_METHODS", "DISCONNECT", "REQUEST_LOG_SIZE", "Switchboard"]

log = logging.getLogger(__name__)

REQUEST_LOG_SIZE = 2000
DISCONNECT = 0  # the status ``call`` returns when the connection is to be dropped
# fmt: off
BOT_METHODS = (
    "getMe", "getUpdates", "sendMessage", "sendPhoto", "sendDocument", "editMessageText",
    "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup", "deleteMessage",
    "deleteMessages",
    "answerCallbackQuery", "getChat", "getChatMember", "getChatAdministrators",
    "getChatMemberCount", "getFile", "setMyCommands", "deleteMyCommands", "getMyCommands",
    "setWebhook", "deleteWebhook", "getWebhookInfo", "logOut", "close", "sendChatAction",
)
# fmt: on

Handler = Callable[[Params], Awaitable[Any]]


@dataclass
class _Fault:
    """An injected misbehaviour for the next ``times`` calls of one method."""

    method: str
    chat_id: int | str | None
    times: int
    error: ApiError | None = None
    delay: float = 0.0
    disconnect: bool = False

    def matches(self, method: str, params: Params) -> bool:
        if self.method != method:
            return False
        return self.chat_id is None or str(params.values.get("chat_id")) == str(self.chat_id)


class Switchboard(World):
    """The world plus the machinery every Bot API call goes through.

    The ``_m_<method>`` handlers that ``BOT_METHODS`` names come from the
    subclasses; ``bot.sandbox.api.botapi.BotApi`` puts them all together.
    """

    def __init__(
        self,
        token: str,
        limits: TelegramLimits | None = None,
        latency: float = 0.0,
        bot_username: str = "newsbot_test_bot",
    ) -> None:
        self.latency = latency
        self._limits: TelegramLimits | None = limits
        self._flood: FloodControl | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods: dict[str, Handler] = {
            name.lower(): getattr(self, f"_m_{name}") for name in BOT_METHODS
        }
        # Method names are case-insensitive; counters and the log use Telegram's spelling.
        self._spelling = {name.lower(): name for name in BOT_METHODS}
        self._poll_generation = 0
        self._closing = False
        super().__init__(token, bot_username)

    def _reset(self) -> None:
        super()._reset()
        self._webhook_url = ""
        self._faults: list[_Fault] = []
        self._stalled_until = 0.0
        self._counts: Counter[str] = Counter()
        self.rejected_429 = 0
        self._first_sent_at: float | None = None
        self._last_sent_at: float | None = None
        self._requests: deque[tuple[str, dict[str, Any]]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._flood = FloodControl(self._limits) if self._limits is not None else None

    def reset(self) -> None:
        """Forget the world, the transcript and the counters; keep latency and limits."""
        waiting = self._wakeup
        self._reset()
        waiting.set()  # a pending getUpdates returns (empty) instead of hanging on

    @property
    def limits(self) -> TelegramLimits | None:
        return self._limits

    @limits.setter
    def limits(self, value: TelegramLimits | None) -> None:
        self._limits = value
        self._flood = FloodControl(value) if value is not None else None

    def knows(self, method: str) -> bool:
        """Whether ``method`` (lower-cased) is a Bot API method the emulator serves."""
        return method in self._methods

    async def call(self, method: str, params: Params) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call; returns the HTTP status and Telegram's JSON answer."""
        # Counted against the limits as it arrives, as Telegram counts it; the
        # latency is then played. Stamped after the sleep instead, the arrivals
        # took the jitter of the emulator's own timers: when its loop was busy,
        # requests that came apart woke, and were counted, together.
        if params.arrived_at is None:
            params.arrived_at = time.monotonic()
        if params.arrived_at < self._stalled_until:
            await asyncio.sleep(self._stalled_until - params.arrived_at)
            params.arrived_at = self._stalled_until
        if self.latency:
            await asyncio.sleep(self.latency)
        name = self._spelling[method]
        self._counts[name] += 1
        self._requests.append((name, params.values))
        try:
            fault = self._take_fault(method, params) if self._faults else None
            if fault is not None:
                await asyncio.sleep(fault.delay)
                if fault.disconnect:
                    return DISCONNECT, {}
                if fault.error is not None:
                    raise fault.error
            result = await self._methods[method](params)
        except ApiError as err:
            if err.code == 429:
                self.rejected_429 += 1
            return err.code, err.body()
        except Exception as err:  # an emulator bug: say so loudly instead of dropping the line
            log.exception("emulator failed on %s", method)
            failure = ApiError(500, f"Internal Server Error: emulator bug: {err!r}")
            return 500, failure.body()
        return 200, {"ok": True, "result": result}

    # ------------------------------------------------------------------ faults and counters

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str = "",
        *,
        chat_id: int | str | None = None,
        times: int = 1,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (optionally to one chat) with an error."""
        parameters: dict[str, Any] = {}
        if error_code == 429:
            retry_after = retry_after if retry_after is not None else 1
            description = f"Too Many Requests: retry after {retry_after}"
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if not description:
            description = {500: "Internal Server Error", 502: "Bad Gateway"}.get(
                error_code, "Bad Request: injected failure"
            )
        error = ApiError(error_code, description, parameters or None)
        self._faults.append(_Fault(method.lower(), chat_id, times, error=error))

    def delay_next(
        self, method: str, seconds: float, *, chat_id: int | str | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` late, but carry them out.

        A client that times out meanwhile sees an error although the message was
        sent, as happens with Telegram: the way duplicates are born.
        """
        self._faults.append(_Fault(method.lower(), chat_id, times, delay=seconds))

    def disconnect_next(
        self, method: str, *, chat_id: int | str | None = None, times: int = 1
    ) -> None:
        """Drop the connection on the next ``times`` calls of ``method`` without carrying
        them out: a network failure rather than an error answer."""
        self._faults.append(_Fault(method.lower(), chat_id, times, disconnect=True))

    def stall(self, seconds: float) -> None:
        """Take no request in for ``seconds``, as a loaded front end of Telegram may.

        What arrives meanwhile is counted against the limits, and answered, when
        the stall ends: all at once. So a window can see more messages than the
        bot ever sent in one second.
        """
        self._stalled_until = time.monotonic() + seconds

    def _take_fault(self, method: str, params: Params) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method, params):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def count(self, method: str) -> int:
        """How many calls of ``method`` (any spelling) the emulator received."""
        return self._counts[self._spelling.get(method.lower(), method)]

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        """The last requests (method, params), at most REQUEST_LOG_SIZE of them."""
        return list(self._requests)

    def _progress(self) -> str:
        return f"{super()._progress()}; requests so far: {dict(self._counts)}"

    def stats(self) -> dict[str, Any]:
        """Counters for tests and benchmarks (also GET /_sandbox/stats)."""
        return {
            "first_sent_at": self._first_sent_at,
            "last_sent_at": self._last_sent_at,
            "counts": dict(self._counts),
            "rejected_429": self.rejected_429,
            "peak_per_second": self._flood.peak_per_second if self._flood is not None else None,
            "sent_per_chat": {
                str(chat_id): len(self.messages(chat_id)) for chat_id in self.chats_with_messages()
            },
            "pending_updates": len(self._updates),
        }
