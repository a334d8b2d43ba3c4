"""The counts of ``bot.telemetry`` and the database's gauges in Prometheus's text format.

prometheus_client is loaded here only, so a bot whose endpoint is off never
pays for it (about 10 MB resident; bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from bot.telemetry import COUNTERS, Telemetry

__all__ = ["CONTENT_TYPE_LATEST", "GAUGES", "exposition"]

# name -> help; the values come from the endpoint's health check at each scrape, and a
# gauge the database could not tell (it did not answer) is left out, not shown stale.
GAUGES = {
    "newsbot_queue_depth": "Deliveries waiting or being sent",
    "newsbot_queue_oldest_pending_seconds": (
        "Age of the oldest delivery still waiting (0 when the queue is empty)"
    ),
    "newsbot_last_feed_poll_age_seconds": (
        "Seconds since a feed was last polled successfully (-1: never)"
    ),
}


class _Snapshot:
    """A collector over one moment's counts and gauges."""

    def __init__(self, telemetry: Telemetry, gauges: Mapping[str, float]) -> None:
        self._counts = dict(telemetry.counts)
        self._gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for spec in COUNTERS:
            family = CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
            found = [
                (dict(labels), n) for (name, labels), n in self._counts.items() if name == spec.name
            ]
            if not spec.labels and not found:
                found = [({}, 0)]  # an unlabelled counter is shown from zero
            for labels, n in found:
                family.add_metric([labels[label] for label in spec.labels], n)
            yield family
        for name, help_text in GAUGES.items():
            if name in self._gauges:
                yield GaugeMetricFamily(name, help_text, value=self._gauges[name])


def exposition(telemetry: Telemetry, gauges: Mapping[str, float]) -> bytes:
    """The text a Prometheus scrape reads."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(telemetry, gauges))
    return generate_latest(registry)
