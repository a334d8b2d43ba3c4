"""When to poll a feed next: pure policy, one rule a function."""

from __future__ import annotations

from datetime import datetime, timedelta


def next_check_after_success(now: datetime, interval: int) -> datetime:
    """A healthy feed is polled again after its interval."""
    return now + timedelta(seconds=interval)


def next_check_after_error(now: datetime, interval: int, errors: int, max_backoff: int) -> datetime:
    """A failing feed backs off exponentially from its interval, up to ``max_backoff``.

    ``errors`` counts consecutive failures including this one, so the first
    failure waits twice the interval and every further one doubles it.
    """
    exponent = min(max(errors, 1), 20)
    delay = min(interval * 2**exponent, max_backoff)
    return now + timedelta(seconds=max(delay, interval))
