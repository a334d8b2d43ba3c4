"""Whether the bot is healthy, from what the database says: a pure judgement, one rule each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.settings import OpsSettings
from storage.health import Vitals


@dataclass(frozen=True)
class Health:
    """The verdict of /healthz: healthy when there is no reason to worry."""

    reasons: tuple[str, ...]
    details: dict[str, float | int | None]

    @property
    def healthy(self) -> bool:
        return not self.reasons


def seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


def judge(vitals: Vitals, now: datetime, settings: OpsSettings) -> Health:
    """The reasons for a 503, each a sentence for the operator; none when all is well."""
    poll_age = seconds_since(vitals.last_poll_at, now)
    queue_age = seconds_since(vitals.oldest_pending_at, now)
    reasons = []
    if vitals.enabled_feeds and poll_age is None:
        reasons.append("no feed has been polled successfully yet")
    elif poll_age is not None and vitals.enabled_feeds and poll_age > settings.poll_stale_after:
        reasons.append(
            f"last successful feed poll {poll_age:.0f}s ago "
            f"(over poll_stale_after={settings.poll_stale_after}s)"
        )
    if queue_age is not None and queue_age > settings.queue_stale_after:
        reasons.append(
            f"oldest queued delivery waiting {queue_age:.0f}s "
            f"(over queue_stale_after={settings.queue_stale_after}s)"
        )
    details = {
        "queue_depth": vitals.queue_depth,
        "oldest_pending_seconds": queue_age,
        "enabled_feeds": vitals.enabled_feeds,
        "last_poll_age_seconds": poll_age,
    }
    return Health(tuple(reasons), details)


def unreachable(error: BaseException) -> Health:
    """The verdict when the database does not answer."""
    return Health((f"database unreachable: {type(error).__name__}: {error}",), {})
