"""Telegram's flood limits as sliding windows, so the bot's own limiter can be tested.

Telegram publishes three figures (telegram.md A2): about 30 messages a second
overall, 1 a second per chat, 20 a minute per group, and 1000 a second for
paid broadcasts. Only accepted messages use up the window, as with Telegram.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

__all__ = ["FloodControl", "TelegramLimits"]


@dataclass
class TelegramLimits:
    """Rates the emulator enforces; ``retry_after`` is the least wait it answers with.

    ``private_burst`` lets a private chat take that many messages at once while
    still averaging ``private_per_second`` (Telegram tolerates short bursts); the
    default of 1 is the strict reading of the FAQ.
    """

    global_per_second: float = 30
    private_per_second: float = 1.0
    group_per_minute: float = 20
    paid_per_second: float = 1000
    retry_after: int = 1
    private_burst: int = 1


class _Window:
    """At most ``capacity`` events in any ``period`` seconds."""

    __slots__ = ("capacity", "events", "peak", "period")

    def __init__(self, capacity: float, period: float) -> None:
        self.capacity = max(1, math.floor(capacity))
        self.period = period
        self.events: deque[float] = deque()
        self.peak = 0  # most events ever seen within one period: the sender's margin

    def wait(self, now: float) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        events = self.events
        while events and events[0] <= now - self.period:
            events.popleft()
        if len(events) < self.capacity:
            return 0.0
        return events[len(events) - self.capacity] + self.period - now

    def add(self, now: float) -> None:
        self.events.append(now)
        self.peak = max(self.peak, len(self.events))  # ``wait`` dropped the old ones


class FloodControl:
    """Decides whether one more message to a chat is over the limits right now."""

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self._global = _Window(limits.global_per_second, 1.0)
        self._paid = _Window(limits.paid_per_second, 1.0)
        self._private: dict[int, _Window] = {}
        self._groups: dict[int, _Window] = {}

    def _chat_window(self, chat_id: int, is_private: bool) -> _Window:
        if is_private:
            window = self._private.get(chat_id)
            if window is None:
                burst = max(1, self.limits.private_burst)
                period = burst / self.limits.private_per_second
                window = self._private[chat_id] = _Window(burst, period)
            return window
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = _Window(self.limits.group_per_minute, 60.0)
        return window

    @property
    def peak_per_second(self) -> int:
        """Most messages accepted within any one second so far (all chats)."""
        return max(self._global.peak, self._paid.peak)

    def check(self, chat_id: int, is_private: bool, paid: bool, now: float) -> int | None:
        """Record the message and return None, or return the retry_after to answer with."""
        overall = self._paid if paid else self._global
        per_chat = self._chat_window(chat_id, is_private)
        wait = max(overall.wait(now), per_chat.wait(now))
        if wait > 0:
            return max(self.limits.retry_after, math.ceil(wait))
        overall.add(now)
        per_chat.add(now)
        return None
