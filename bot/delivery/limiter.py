"""Telegram's flood limits, as Telegram counts them, for one sending process.

- a global rate (``delivery.rate``; Telegram's free limit is
  ``FloodLimit.MESSAGES_PER_SECOND``, paid broadcasts up to
  ``FloodLimit.PAID_MESSAGES_PER_SECOND``), paced evenly rather than in bursts,
  so a sliding one-second window on Telegram's side never sees more;
- at most ``FloodLimit.MESSAGES_PER_SECOND_PER_CHAT`` per private chat;
- at most ``FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP`` per channel or group
  (PTB's limiter treats channels like groups, and so do we);
- a 429 pauses every sender until ``retry_after`` has passed;
- a send that Telegram may have counted late (its answer came late: a stall
  on Telegram's side bunches arrivals) stays in the window as long as it may
  stay in Telegram's.

Pacing: ``acquire`` lets one request start every ``1/rate`` seconds (a little
wider, see PACE_HEADROOM) and never more than ``rate`` in any second of actual
start times, however late the event loop wakes up; any number of requests can
be in flight meanwhile.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from telegram.constants import FloodLimit

log = logging.getLogger(__name__)

GROUP_WINDOW = 60.0  # seconds: the "per minute" of MESSAGES_PER_MINUTE_PER_GROUP
# Telegram counts arrivals in sliding windows; arrivals jitter by some
# milliseconds around the send times, so sends are spaced a little wider than
# the bare limit: a window must never catch one message too many.
PACE_HEADROOM = 0.975  # fraction of the configured global rate actually used
CATCH_UP = 0.01  # seconds of overslept slots granted at once on wake-up
# A turn due within this many seconds is granted now: the event loop's timers
# wake in whole milliseconds, so sleeping for less would cost a millisecond per
# turn (a cap of about 600/s). 5 ms rather than 2: at 1000/s one wake-up grants
# about five turns, so the sends and their answers are handled in groups (10 %
# less CPU per message, measured in pairs in bench/RESULTS.md); a turn leaves
# at most 5 ms early, and the window check still bounds every second.
TIMER_SLACK = 0.005
# The shortest sleep taken. uvloop's timers count whole milliseconds and fire a
# shorter one at once: waiting out a window's last fraction of a millisecond by
# sleeping spun the loop (15,000 sleeps where asyncio's loop took 500 in a
# 10,000-message broadcast), which cost what uvloop saved (bench/RESULTS.md).
# asyncio's loop never sleeps less than a millisecond either.
MIN_SLEEP = 0.001
LONG_WAIT = 0.5  # seconds: a wait this long (a 429 pause) can be interrupted by a stop
# Seconds added to the one-second window of actual sends: the margin for arrivals
# that bunch (a stall on the receiving side). 25 ms keeps 0.975 of the rate usable
# (40 ms, before, capped it at 0.96; 15 ms met stalls of the emulator under load).
# Round trips were tried as a measure of the bunching for every send (a wider
# guard), but they jitter with the bot's own load, which bunches nothing; they
# now hold back only the sends they show were held beyond the guard (``answered``).
WINDOW_GUARD = 0.025
# Each 429 widens the guard (arrivals jitter more than assumed: a loaded host),
# up to this many seconds; the sender slows for good rather than retrying into 429s.
WINDOW_GUARD_STEP = 0.02
WINDOW_GUARD_MAX = 0.25
CHAT_GUARD = 0.05  # seconds added to the per-chat spacing
# The least round trip, the measure of a send that waited nowhere, is taken over
# the last 5 to 10 seconds: a longer route is learned within 10 s.
FLOOR_SPAN = 5.0


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


class Departure:
    """When a granted request left (its grant time until it does)."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


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
        self._window_size = max(1, math.floor(rate))
        self.window_guard = WINDOW_GUARD
        self._recent: deque[Departure] = deque(maxlen=self._window_size)
        # Sends that Telegram may have counted late, in two heaps: those still within
        # the deque's second, (when it left, when it is out of every window of
        # Telegram's); then those beyond it, held in the window until that release.
        # Longer round trips make a late answer of every send for a while, a
        # thousand of them at the paid rate: walked as one list at every turn they
        # cost 72 µs a turn, the heaps 4.5 (bench/RESULTS.md, ninth pass).
        self._late_leaving: list[tuple[float, float]] = []
        self._late_held: list[float] = []
        self._floor = self._floor_before = math.inf  # least round trips: this span, the last
        self._floor_until = 0.0
        self.late_answers = 0  # sends held in the window beyond their second (benchmarks read it)
        self._turn = asyncio.Lock()  # one waiter at a time: no two wake into the same slot
        self._interrupted = False
        self._long_nap: asyncio.Future[None] | None = None
        self._paused_until = 0.0
        self._private_last: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._sweeps = 0

    def set_rate(self, rate: float) -> None:
        """A new global rate (this process's share when several processes send)."""
        if rate <= 0 or rate == self.rate:
            return
        self.rate = rate
        self._interval = 1.0 / (rate * PACE_HEADROOM)
        size = max(1, math.floor(rate))
        if size != self._window_size:
            self._window_size = size
            self._recent = deque(self._recent, maxlen=size)

    # -- the shared pause -------------------------------------------------
    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends before ``seconds`` from now."""
        now = self._clock()
        # retry_after counts from Telegram's answer: each later 429 of a flood may
        # push the pause on, so it ends ``seconds`` after the last of them.
        until = now + seconds
        if until > self._paused_until:
            if now >= self._paused_until:
                # A new flood, not the rest of the requests in flight when the last one
                # began (at 1000/s a hundred of them may answer 429 for the same cause):
                # logged once; every 429 is counted (newsbot_telegram_429).
                self.window_guard = min(WINDOW_GUARD_MAX, self.window_guard + WINDOW_GUARD_STEP)
                log.warning(
                    "flood control: every sender pauses retry_after=%.1f window_guard=%.3f",
                    seconds,
                    self.window_guard,
                )
            self._paused_until = until

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    # -- global pacing ----------------------------------------------------
    async def acquire(self) -> Departure | None:
        """Wait for this request's turn in the global pace (and any 429 pause).

        Call ``departed`` on the returned value right before the request is
        written: the window of the last second counts actual departures, so a
        busy event loop between the turn and the write cannot squeeze sends.
        None: ``interrupt`` was called (the worker is stopping), no turn given.
        """
        if not self._turn.locked() and not self._interrupted:
            # The lock is free and this turn is due: granted without taking it (most of
            # a broadcast's turns; taking and releasing it was 52 of the 187 Python
            # instructions of a turn). A waiter woken but not yet run may be passed
            # by one turn; it checks the pace and the window again before it goes.
            now = self._clock()
            if self._wait(now) <= 0:
                return self._grant(now)
        async with self._turn:
            while True:
                if self._interrupted:
                    return None
                now = self._clock()
                wait = self._wait(now)
                if wait <= 0:
                    break
                if wait < LONG_WAIT:
                    await self._sleep(max(wait, MIN_SLEEP))
                else:
                    await self._long_sleep(wait)
            return self._grant(now)

    def _grant(self, now: float) -> Departure:
        # Slots follow a grid 1/rate apart, so a late wake-up is caught up by the
        # next sends (the window check still keeps every second within the rate):
        # at 1000/s slots are 1 ms apart, finer than the event loop's timer, so a
        # wake-up grants the slots it overslept. After an idle spell, a fresh grid
        # starts.
        if now - self._next_slot > max(self._interval, CATCH_UP):
            self._next_slot = now + self._interval
        else:
            self._next_slot += self._interval
        departure = Departure(now)
        self._recent.append(departure)
        return departure

    def _wait(self, now: float) -> float:
        """Seconds until the next turn may go (0 or less: now).

        Only the pace's slot is granted early (TIMER_SLACK): a 429 pause and the
        window of actual sends are waited out to the end, or the slack would eat
        into the window's guard.
        """
        slot = self._next_slot - now
        if slot <= TIMER_SLACK:
            slot = 0.0
        return max(slot, self._paused_until - now, self._window_free_at(now) - now)

    async def _long_sleep(self, seconds: float) -> None:
        """A sleep that ``interrupt`` can cut short (a stop during a long 429 pause)."""
        self._long_nap = asyncio.ensure_future(self._sleep(seconds))
        try:
            await self._long_nap
        except asyncio.CancelledError:
            if not self._interrupted:
                raise
        finally:
            self._long_nap = None

    def interrupt(self) -> None:
        """Stop granting turns: a waiting ``acquire`` returns None now, later ones at once."""
        self._interrupted = True
        if self._long_nap is not None:
            self._long_nap.cancel()

    def resume(self) -> None:
        self._interrupted = False

    def _window_free_at(self, now: float) -> float:
        """When one more send fits in the window: the last second's sends, and the late ones.

        A late send (``answered``) that has left the deque's second may still
        be in Telegram's: until it is released, it takes a place of the deque's.
        """
        span = 1.0 + self.window_guard
        recent, leaving, held = self._recent, self._late_leaving, self._late_held
        # The guard only grows: a send moved on under a narrower one is held a few
        # milliseconds early, which only makes the window more careful.
        while leaving and leaving[0][0] + span <= now:
            heapq.heappush(held, heapq.heappop(leaving)[1])
        while held and held[0] <= now:
            heapq.heappop(held)
        room = self._window_size - len(held)
        if len(recent) < room:
            return 0.0
        soonest_release = held[0] if held else math.inf
        if room <= 0:
            return soonest_release
        return min(recent[len(recent) - room].at + span, soonest_release)

    def departed(self, departure: Departure) -> None:
        """The request granted ``departure`` is being written now."""
        departure.at = self._clock()

    def answered(self, departure: Departure) -> None:
        """The request that left at ``departure`` has its answer now.

        Telegram counts a message when it arrives. A stall on its side (or a
        queue on the way) holds some requests and then counts them at once, so
        a window of Telegram's can hold more than the pace ever sent in one.
        Such a request comes back late: its round trip beyond the least recent
        one bounds how much later than it left it was counted. Beyond the
        guard, which covers small delays, it stays in the window until it is
        out of Telegram's. A round trip stretched on the way back, or by the
        bot's own busy loop, only makes the window more careful; a stall costs
        the rate no more than its own length.
        """
        now = self._clock()
        trip = now - departure.at
        if now >= self._floor_until:
            self._floor_before, self._floor = self._floor, trip
            self._floor_until = now + FLOOR_SPAN
        elif trip < self._floor:
            self._floor = trip
        delay = trip - min(self._floor, self._floor_before)  # at most, before it was counted
        if delay > self.window_guard:
            heapq.heappush(self._late_leaving, (departure.at, departure.at + delay + 1.0))
            self.late_answers += 1

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
