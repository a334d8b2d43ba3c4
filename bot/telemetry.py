"""What the bot counts for the operator: one small leaf that any layer may count into.

It imports nothing, not even prometheus_client: feeds, articles, delivery and
the newsroom call ``count_*`` on a plain in-memory tally (a dictionary update,
cheap on the delivery's hot path), and only the HTTP endpoint that exposes the
figures (``bot.ops.metrics``) speaks Prometheus, loaded when an operator turns
it on. The composition root installs a fresh ``Telemetry`` per running bot, so
two bots in one test process never add to each other's figures. Gauges the
database knows (queue depth, last poll) are not kept here; the endpoint reads
them at scrape time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = [
    "COUNTERS",
    "CounterSpec",
    "Telemetry",
    "count_breaking",
    "count_delivery",
    "count_edit",
    "count_feed_poll",
    "count_fetch",
    "count_rate_limited",
    "current",
    "install",
]

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CounterSpec:
    """A counter as Prometheus shows it: ``{name}_total``, its help, its label names."""

    name: str
    help: str
    labels: tuple[str, ...] = ()


COUNTERS = (
    CounterSpec(
        "newsbot_deliveries",
        "Delivery attempts by outcome (sent, retried, failed, skipped) and reason",
        ("outcome", "reason"),
    ),
    CounterSpec("newsbot_telegram_429", "Sends Telegram answered with 429 Too Many Requests"),
    CounterSpec(
        "newsbot_feed_polls",
        "Feed polls by outcome (new, unchanged, not-modified, error)",
        ("outcome",),
    ),
    CounterSpec(
        "newsbot_fetches",
        "Article page and photo fetches by kind (page, photo) and outcome (ok, error)",
        ("kind", "outcome"),
    ),
    CounterSpec("newsbot_edits", "Sent posts edited because their article changed at the source"),
    CounterSpec("newsbot_breaking_broadcasts", "Breaking posts published by editors"),
)


class Telemetry:
    """The counts of one running bot: (counter name, labels) -> how many."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, Labels]] = Counter()

    def add(self, name: str, labels: Labels = ()) -> None:
        self.counts[name, labels] += 1

    def value(self, name: str, **labels: str) -> int:
        """One count, by the counter's name (``_total`` or not) and its labels."""
        key = (name.removesuffix("_total"), tuple(sorted(labels.items())))
        return self.counts.get(key, 0)


_current = Telemetry()


def current() -> Telemetry:
    """The counts being counted into now."""
    return _current


def install(telemetry: Telemetry | None = None) -> Telemetry:
    """Count into ``telemetry`` (a fresh one by default) from now on; returns it."""
    global _current
    _current = telemetry or Telemetry()
    return _current


# Labels are written in sorted order, so a count has one key however it is asked for.
def count_delivery(outcome: str, reason: str = "") -> None:
    _current.add("newsbot_deliveries", (("outcome", outcome), ("reason", reason)))


def count_rate_limited() -> None:
    _current.add("newsbot_telegram_429")


def count_feed_poll(outcome: str) -> None:
    _current.add("newsbot_feed_polls", (("outcome", outcome),))


def count_fetch(kind: str, ok: bool) -> None:
    _current.add("newsbot_fetches", (("kind", kind), ("outcome", "ok" if ok else "error")))


def count_edit() -> None:
    _current.add("newsbot_edits")


def count_breaking() -> None:
    _current.add("newsbot_breaking_broadcasts")
