"""Telegram's flood limits, as Telegram counts them, for one sending process.

- a global rate (``delivery.rate``; Telegram's free limit is
  ``FloodLimit.MESSAGES_PER_SECOND``, paid broadcasts up to
  ``FloodLimit.PAID_MESSAGES_PER_SECOND``), paced evenly rather than in bursts,
  so a sliding one-second window on Telegram's side never sees more;
- at most ``FloodLimit.MESSAGES_PER_SECOND_PER_CHAT`` per private chat;
- at most ``FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP`` per channel or group
  (PTB's limiter treats channels like groups, and so do we);
- a 429 pauses every sender until ``retry_after`` has passed.

Pacing reserves send times: ``acquire`` books the next free slot and sleeps
until it, so any number of requests can be in flight while the start times
stay ``1/rate`` apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from telegram.constants import FloodLimit

log = logging.getLogger(__name__)

GROUP_WINDOW = 60.0  # seconds: the "per minute" of MESSAGES_PER_MINUTE_PER_GROUP
# Telegram counts arrivals in sliding windows; arrivals jitter by some
# milliseconds around the send times, so sends are spaced a little wider than
# the bare limit: a window must never catch one message too many.
PACE_HEADROOM = 0.97  # fraction of the configured global rate actually used
CHAT_GUARD = 0.05  # seconds added to the per-chat spacing


def allowed_rate(rate: float, *, paid_broadcast: bool) -> float:
    """The global rate the bot may use: the configured one, capped by Telegram's limit."""
    ceiling = (
        FloodLimit.PAID_MESSAGES_PER_SECOND if paid_broadcast else FloodLimit.MESSAGES_PER_SECOND
    )
    if rate > ceiling:
        log.warning(
            "delivery.rate=%s is above Telegram's limit, using %s paid_broadcast=%s",
            rate,
            ceiling,
            paid_broadcast,
        )
    return float(min(rate, ceiling))


def is_group_like(chat_kind: str) -> bool:
    return chat_kind != "private"


class RateLimiter:
    """Global pacing, per-chat spacing and the shared 429 pause."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = rate
        self._interval = 1.0 / (rate * PACE_HEADROOM)
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._private_last: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._sweeps = 0

    # -- the shared pause -------------------------------------------------
    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends before ``seconds`` from now."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            log.warning("flood control: every sender pauses retry_after=%.1f", seconds)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    # -- global pacing ----------------------------------------------------
    async def acquire(self) -> None:
        """Wait for this request's slot in the global pace (and any 429 pause)."""
        while True:
            now = self._clock()
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
            if slot > now:
                await self._sleep(slot - now)
            if self._clock() >= self._paused_until:
                return
            # A 429 arrived while we slept: book a slot after the pause.

    # -- per chat ---------------------------------------------------------
    def chat_ready_in(self, chat_id: int, chat_kind: str) -> float:
        """Seconds until this chat may receive another message (0: now)."""
        now = self._clock()
        if is_group_like(chat_kind):
            sends = self._group_sends.get(chat_id)
            if sends is None or len(sends) < FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP:
                return 0.0
            return max(0.0, sends[0] + GROUP_WINDOW + CHAT_GUARD - now)
        last = self._private_last.get(chat_id)
        if last is None:
            return 0.0
        return max(0.0, last + 1.0 / FloodLimit.MESSAGES_PER_SECOND_PER_CHAT + CHAT_GUARD - now)

    def record_send(self, chat_id: int, chat_kind: str) -> None:
        """A message went to this chat now."""
        now = self._clock()
        if is_group_like(chat_kind):
            sends = self._group_sends.setdefault(
                chat_id, deque(maxlen=FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP)
            )
            sends.append(now)
        else:
            self._private_last[chat_id] = now
        # Entries that can no longer hold a send back are dropped now and then,
        # so memory stays flat however many chats a broadcast reaches.
        self._sweeps += 1
        if self._sweeps >= 4096:
            self._forget_old(now)

    def _forget_old(self, now: float) -> None:
        self._sweeps = 0
        private_horizon = now - 1.0 / FloodLimit.MESSAGES_PER_SECOND_PER_CHAT
        self._private_last = {c: t for c, t in self._private_last.items() if t > private_horizon}
        group_horizon = now - GROUP_WINDOW
        self._group_sends = {
            c: d for c, d in self._group_sends.items() if d and d[-1] > group_horizon
        }

    @property
    def tracked_chats(self) -> int:
        return len(self._private_last) + len(self._group_sends)
