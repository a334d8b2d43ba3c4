"""The figures for machines: the stable JSON of ``newsbot stats --json`` and the /export CSVs."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.newsroom.stats.figures import EVENT_KINDS, READER_STATES, DayPoint, Stats
from bot.newsroom.stats.message import shorten
from storage import stats as queries

JSON_SCHEMA = 1


# ---------------------------------------------------------------- JSON (docs/stats-json.md)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def stats_json(stats: Stats) -> dict[str, Any]:
    """The stable JSON form of the figures; every change is documented in docs/stats-json.md."""
    deliveries = stats.deliveries
    breaking = stats.last_breaking
    return {
        "schema": JSON_SCHEMA,
        "generated_at": _iso(stats.generated_at),
        "readers": {
            "total": stats.readers.total,
            "active": stats.readers.active,
            "blocked": stats.readers.blocked,
            "left": stats.readers.left,
            "new_24h": stats.readers.new_24h,
            "new_7d": stats.readers.new_7d,
            "per_topic": stats.per_topic,
            "per_language": stats.per_language,
        },
        "channels": [
            {
                "id": c.id,
                "telegram_id": c.telegram_id,
                "username": c.username,
                "title": c.title,
                "kind": c.kind,
                "status": c.status,
                "target": c.is_target,
                "last_error": c.last_error,
            }
            for c in stats.channels
        ],
        "feeds": [
            {
                "id": f.id,
                "url": f.url,
                "name": f.name,
                "topic": f.topic,
                "enabled": f.enabled,
                "last_success_at": _iso(f.last_success_at),
                "error_count": f.error_count,
                "last_error": f.last_error,
                "failing_since": _iso(f.failing_since),
                "next_check_at": _iso(f.next_check_at),
            }
            for f in stats.feeds
        ],
        "deliveries_24h": {
            "sent": deliveries.sent,
            "failed": deliveries.failed,
            "pending": deliveries.pending,
            "median_delay_seconds": (
                None if deliveries.median_seconds is None else round(deliveries.median_seconds, 1)
            ),
        },
        "edits_24h": {
            "edited": stats.edits.edited,
            "failed": stats.edits.failed,
            "expired": stats.edits.expired,
            "pending": stats.edits.pending,
        },
        "last_breaking": None
        if breaking is None
        else {
            "post_id": breaking.post_id,
            "published_at": _iso(breaking.published_at),
            "state": breaking.state,
            "reached": breaking.reached,
            "total": breaking.total,
        },
        "days": [
            {
                "date": point.day.isoformat(),
                "active": point.active,
                "blocked": point.blocked,
                "left": point.left,
                "events": dict(point.events),
            }
            for point in stats.days
        ],
    }


# ---------------------------------------------------------------- CSV (/export)


def readers_csv(points: Sequence[DayPoint]) -> bytes:
    """Readers per day: the states at each day's end and that day's events."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", *READER_STATES, *(f"{kind}_events" for kind in EVENT_KINDS)])
    for point in points:
        writer.writerow(
            [point.day.isoformat(), point.active, point.blocked, point.left]
            + [point.events.get(kind, 0) for kind in EVENT_KINDS]
        )
    return buffer.getvalue().encode("utf-8")


DELIVERY_COLUMNS = ("total", "sent", "failed", "pending", "skipped", "deleted")


def deliveries_csv(posts: Sequence[queries.PostReach]) -> bytes:
    """Deliveries per post, newest post first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["post_id", "kind", "state", "published_at", "title", *DELIVERY_COLUMNS])
    for post in posts:
        head = [post.post_id, post.kind, post.state, _iso(post.published_at)]
        counts = [getattr(post, column) for column in DELIVERY_COLUMNS]
        writer.writerow([*head, shorten(post.title, 200), *counts])
    return buffer.getvalue().encode("utf-8")
