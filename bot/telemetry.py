"""What the bot counts for Prometheus: one small leaf that any layer may count into.

It imports nothing of the project, so feeds, articles, delivery and the
newsroom can all call ``count_*`` without pulling in the HTTP endpoint that
exposes the figures (``bot.ops``). The counters live in a registry of their own
(not prometheus_client's global one): the composition root installs a fresh
``Telemetry`` per running bot, so two bots in one test process never add to
each other's figures. Gauges the database knows (queue depth, last poll) are
not kept here; the endpoint reads them at scrape time.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = [
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


class Telemetry:
    """The counters of one running bot, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.deliveries = Counter(
            "newsbot_deliveries",
            "Delivery attempts by outcome (sent, retried, failed, skipped) and reason",
            ["outcome", "reason"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "newsbot_telegram_429", "Sends Telegram answered with 429 Too Many Requests",
            registry=registry,
        )  # fmt: skip
        self.feed_polls = Counter(
            "newsbot_feed_polls",
            "Feed polls by outcome (new, unchanged, not-modified, error)",
            ["outcome"],
            registry=registry,
        )
        self.fetches = Counter(
            "newsbot_fetches",
            "Article page and photo fetches by kind (page, photo) and outcome (ok, error)",
            ["kind", "outcome"],
            registry=registry,
        )
        self.edits = Counter(
            "newsbot_edits",
            "Sent posts edited because their article changed at the source",
            registry=registry,
        )
        self.breaking = Counter(
            "newsbot_breaking_broadcasts", "Breaking posts published by editors",
            registry=registry,
        )  # fmt: skip
        # Set from the database just before each scrape (bot.ops.metrics).
        self.queue_depth = Gauge(
            "newsbot_queue_depth", "Deliveries waiting or being sent", registry=registry
        )
        self.oldest_pending = Gauge(
            "newsbot_queue_oldest_pending_seconds",
            "Age of the oldest delivery still waiting (0 when the queue is empty)",
            registry=registry,
        )
        self.last_poll_age = Gauge(
            "newsbot_last_feed_poll_age_seconds",
            "Seconds since a feed was last polled successfully (-1: never)",
            registry=registry,
        )


_current = Telemetry()


def current() -> Telemetry:
    """The counters being counted into now."""
    return _current


def install(telemetry: Telemetry | None = None) -> Telemetry:
    """Count into ``telemetry`` (a fresh one by default) from now on; returns it."""
    global _current
    _current = telemetry or Telemetry()
    return _current


def count_delivery(outcome: str, reason: str = "") -> None:
    _current.deliveries.labels(outcome=outcome, reason=reason).inc()


def count_rate_limited() -> None:
    _current.rate_limited.inc()


def count_feed_poll(outcome: str) -> None:
    _current.feed_polls.labels(outcome=outcome).inc()


def count_fetch(kind: str, ok: bool) -> None:
    _current.fetches.labels(kind=kind, outcome="ok" if ok else "error").inc()


def count_edit() -> None:
    _current.edits.inc()


def count_breaking() -> None:
    _current.breaking.inc()
