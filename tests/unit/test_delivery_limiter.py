"""The flood limits as Telegram counts them (bot.delivery.limiter), on a fake clock."""

from __future__ import annotations

import heapq
import itertools
import logging
from bisect import bisect_left
from collections.abc import Callable

import pytest
from telegram.constants import FloodLimit

from bot.delivery.limiter import (
    FLOOR_SPAN,
    MIN_SLEEP,
    WINDOW_GUARD,
    Departure,
    RateLimiter,
    allowed_rate,
)


class Clock:
    """A fake monotonic clock whose sleep just moves time forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.on_sleep: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.on_sleep.append(seconds)
        self.now += seconds


async def send_times(limiter: RateLimiter, clock: Clock, count: int) -> list[float]:
    """When each of ``count`` sends left, taking its turn and departing at once."""
    times = []
    for _ in range(count):
        departure = await limiter.acquire()
        limiter.departed(departure)  # type: ignore[arg-type]  # never None: not interrupted
        times.append(clock.now)
    return times


class Telegram:
    """Telegram's side on the fake clock: counts a request when it arrives, answers later.

    ``trip(left)``: the round trip of a request that left then. During a stall
    nothing is taken in: what arrives meanwhile is counted, and answered, from
    the stall's end on. Answers reach the limiter at their own times, while the
    sender sleeps.
    """

    def __init__(
        self,
        clock: Clock,
        trip: Callable[[float], float] = lambda left: 0.1,
        stall: tuple[float, float] | None = None,
    ) -> None:
        self.clock = clock
        self.trip = trip
        self.stall = stall
        self.limiter: RateLimiter | None = None  # answered; None: the answers go unread
        self.arrivals: list[float] = []
        self._answers: list[tuple[float, int, Departure]] = []

    def take(self, departure: Departure) -> None:
        left = departure.at
        arrived = left
        if self.stall is not None and self.stall[0] <= left < self.stall[1]:
            arrived = self.stall[1]
        self.arrivals.append(arrived)
        answer = (arrived + self.trip(left), len(self.arrivals), departure)
        heapq.heappush(self._answers, answer)

    async def sleep(self, seconds: float) -> None:
        until = self.clock.now + seconds
        while self._answers and self._answers[0][0] <= until:
            at, _, departure = heapq.heappop(self._answers)
            self.clock.now = max(self.clock.now, at)
            if self.limiter is not None:
                self.limiter.answered(departure)
        self.clock.now = until

    def most_in_a_second(self) -> int:
        """The most arrivals Telegram counted in one window of a second."""
        arrivals = sorted(self.arrivals)
        return max(bisect_left(arrivals, at + 1.0) - i for i, at in enumerate(arrivals))


async def broadcast(
    rate: float, count: int, telegram: Telegram, *, read_answers: bool = True
) -> list[float]:
    """``count`` sends through a limiter against ``telegram``; when each one left."""
    limiter = RateLimiter(rate, telegram.clock, telegram.sleep)
    telegram.limiter = limiter if read_answers else None
    times = []
    for _ in range(count):
        departure = await limiter.acquire()
        assert departure is not None
        limiter.departed(departure)
        telegram.take(departure)
        times.append(departure.at)
    return times


def test_free_rate_is_capped_at_telegrams_limit() -> None:
    assert allowed_rate(100, paid_broadcast=False) == FloodLimit.MESSAGES_PER_SECOND


def test_paid_broadcast_allows_up_to_the_paid_limit() -> None:
    assert allowed_rate(5000, paid_broadcast=True) == FloodLimit.PAID_MESSAGES_PER_SECOND
    assert allowed_rate(900, paid_broadcast=True) == 900


def test_configured_rate_below_the_limit_is_kept() -> None:
    assert allowed_rate(25, paid_broadcast=False) == 25


def test_a_private_chat_waits_a_second_between_messages() -> None:
    clock = Clock()
    limiter = RateLimiter(30, clock)
    assert limiter.chat_ready_in(7, "private") == 0
    limiter.record_send(7, "private")
    assert 1.0 <= limiter.chat_ready_in(7, "private") <= 1.1
    assert limiter.chat_ready_in(8, "private") == 0  # other chats are not held back
    clock.now += 1.1
    assert limiter.chat_ready_in(7, "private") == 0


def test_a_channel_takes_twenty_messages_a_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(30, clock)
    for _ in range(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP):
        assert limiter.chat_ready_in(-100, "channel") == 0
        limiter.record_send(-100, "channel")
        clock.now += 0.5
    wait = limiter.chat_ready_in(-100, "channel")
    assert 50 < wait <= 60.1
    clock.now += wait
    assert limiter.chat_ready_in(-100, "channel") == 0


async def test_global_pace_spaces_sends_evenly_just_under_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(100, clock, clock.sleep)
    times = []
    for _ in range(20):
        await limiter.acquire()
        times.append(clock.now)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
    assert len(gaps) == 1  # evenly spaced: no burst
    (gap,) = gaps
    assert 1 / 100 < gap < 1 / 95  # a little headroom under the rate, for arrival jitter


async def test_a_429_pauses_every_sender() -> None:
    clock = Clock()
    limiter = RateLimiter(1000, clock, clock.sleep)
    await limiter.acquire()
    limiter.pause(5)
    assert limiter.paused_for == 5
    start = clock.now
    await limiter.acquire()
    assert clock.now - start >= 5


async def test_a_slot_booked_before_a_429_waits_for_the_pause() -> None:
    clock = Clock()

    async def sleep_then_429(seconds: float) -> None:
        await clock.sleep(seconds)
        if len(clock.on_sleep) == 1:
            limiter.pause(3)  # the 429 arrives while this sender sleeps for its slot

    limiter = RateLimiter(10, clock, sleep_then_429)
    await limiter.acquire()  # slot now
    start = clock.now
    await limiter.acquire()  # its slot is 0.1 s away; a pause of 3 s lands meanwhile
    assert clock.now - start >= 3


def test_memory_stays_flat_over_many_chats() -> None:
    clock = Clock()
    limiter = RateLimiter(1000, clock)
    for chat in range(100_000):
        limiter.record_send(chat, "private")
        clock.now += 0.001
    assert limiter.tracked_chats < 10_000


def test_a_429_widens_the_window_guard_for_good_up_to_a_cap() -> None:
    clock = Clock()
    limiter = RateLimiter(30, clock, clock.sleep)
    before = limiter.window_guard
    limiter.pause(1)
    assert limiter.window_guard > before
    for _ in range(100):
        clock.now += 2
        limiter.pause(1)
    assert limiter.window_guard <= 0.25


async def test_no_second_holds_more_sends_than_the_rate_however_late_the_loop() -> None:
    clock = Clock()

    async def late_sleep(seconds: float) -> None:
        await clock.sleep(seconds + 0.02)  # an event loop that always wakes 20 ms late

    limiter = RateLimiter(30, clock, late_sleep)
    starts = await send_times(limiter, clock, 200)
    assert all(b - a > 1.0 for a, b in zip(starts, starts[30:], strict=False))


async def test_the_window_keeps_its_whole_guard_though_the_paces_turns_may_go_early() -> None:
    clock = Clock()
    lateness = itertools.cycle((0.0, 0.0, 0.009))  # some wake-ups on time, some caught up

    async def uneven_sleep(seconds: float) -> None:
        await clock.sleep(seconds + next(lateness))

    limiter = RateLimiter(1000, clock, uneven_sleep)
    starts = await send_times(limiter, clock, 5000)
    # A turn of the pace due within the timer's slack goes early; the window of the
    # last second's sends is waited out to the end: any 1000 sends in a row span
    # the second and the whole guard.
    spans = [b - a for a, b in zip(starts, starts[1000:], strict=False)]
    assert min(spans) >= 1.0 + WINDOW_GUARD - 1e-9


async def test_no_wait_is_slept_shorter_than_a_timer_can_wait() -> None:
    """uvloop's timers count whole milliseconds: a sleep under half of one fires at once,
    and sleeping out a window's last fraction of a millisecond would spin the loop."""
    clock = Clock()

    async def millisecond_timer(seconds: float) -> None:
        clock.on_sleep.append(seconds)
        clock.now += round(seconds * 1000) / 1000 + 0.000005  # and a turn of the loop

    limiter = RateLimiter(1000, clock, millisecond_timer)
    for _ in range(5000):
        limiter.departed(await limiter.acquire())  # type: ignore[arg-type]  # not interrupted
        clock.now += 0.0001  # each send's own work
    assert len(clock.on_sleep) > 500 and min(clock.on_sleep) >= MIN_SLEEP


def test_the_429s_of_requests_already_in_flight_widen_the_guard_once_and_warn_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    limiter = RateLimiter(1000, clock, clock.sleep)
    before = limiter.window_guard
    with caplog.at_level(logging.WARNING, logger="bot.delivery.limiter"):
        for _ in range(100):  # answers of the requests that left before the first 429 came back
            limiter.pause(1)
            clock.now += 0.001
        widened = limiter.window_guard
        assert before < widened < 0.25
        assert limiter.paused_for == pytest.approx(1 - 0.001)  # from the last 429 on
        assert len(caplog.records) == 1
        clock.now += 2  # a flood again, after the pause: a new cause, one more step
        limiter.pause(1)
    assert limiter.window_guard > widened
    assert [r.getMessage().startswith("flood control") for r in caplog.records] == [True, True]


async def test_a_stall_on_telegrams_side_bunches_no_window_over_the_limit() -> None:
    start = Clock().now
    stall = (start + 1.5, start + 1.56)  # 60 ms: more than the guard
    calm_times = await broadcast(1000, 4000, Telegram(Clock()))
    stalled = Telegram(Clock(), stall=stall)
    times = await broadcast(1000, 4000, stalled)
    assert stalled.most_in_a_second() <= 1000
    # What the stall bunched is held back once, no more: it costs the rate at
    # most its own length.
    assert times[-1] - calm_times[-1] <= stall[1] - stall[0]


async def test_unread_answers_leave_the_stall_to_a_429() -> None:
    # The case above, without the answers: the pace alone lets one window through.
    start = Clock().now
    stalled = Telegram(Clock(), stall=(start + 1.5, start + 1.56))
    await broadcast(1000, 4000, stalled, read_answers=False)
    assert stalled.most_in_a_second() > 1000


async def test_round_trips_that_jitter_within_the_guard_change_no_send() -> None:
    jitter = itertools.cycle((0.0, 0.004, 0.011, 0.02, WINDOW_GUARD - 0.001))  # all within it
    jittered = await broadcast(1000, 3000, Telegram(Clock(), lambda left: 0.1 + next(jitter)))
    unread = await broadcast(1000, 3000, Telegram(Clock()), read_answers=False)
    assert jittered == unread


async def test_a_longer_route_is_learned_and_then_costs_nothing() -> None:
    start = Clock().now
    change = start + 2.0

    def trip(left: float) -> float:
        return 0.1 if left < change else 0.4  # from 2 s on, every round trip 300 ms longer

    times = await broadcast(100, 2500, Telegram(Clock(), trip))

    def sent_per_second(since: float, until: float) -> float:
        return sum(since <= t < until for t in times) / (until - since)

    learned = change + 2 * FLOOR_SPAN
    assert sent_per_second(change + 1, change + 3) < 90  # held back while it may be a stall
    before = sent_per_second(start, change)
    assert sent_per_second(learned, times[-1]) == pytest.approx(before, rel=0.02)
