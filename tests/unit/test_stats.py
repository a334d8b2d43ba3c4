"""The readers' history replayed from events, and the figures' text, JSON and CSV forms."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from bot.newsroom.stats.exports import readers_csv, stats_json
from bot.newsroom.stats.figures import (
    BreakingReach,
    DayPoint,
    DeliveryFigures,
    FeedHealth,
    ReaderFigures,
    Stats,
)
from bot.newsroom.stats.history import reader_days
from bot.newsroom.stats.message import duration, format_stats
from storage.stats import EventRow


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour)


def counts(points: list[DayPoint]) -> list[tuple[int, int, int]]:
    return [(p.active, p.blocked, p.left) for p in points]


def test_each_event_moves_one_reader_between_states() -> None:
    events = [
        EventRow(1, "joined", at(1)),
        EventRow(2, "joined", at(1)),
        EventRow(1, "blocked", at(2)),
        EventRow(2, "left", at(3)),
        EventRow(1, "unblocked", at(4)),
        EventRow(2, "returned", at(4)),
    ]
    points = reader_days(events, date(2026, 11, 1), date(2026, 11, 4))
    assert counts(points) == [(2, 0, 0), (1, 1, 0), (0, 1, 1), (2, 0, 0)]


def test_quiet_days_carry_the_last_figures_and_older_events_set_the_start() -> None:
    events = [EventRow(1, "joined", at(1)), EventRow(2, "joined", at(5, 23))]
    points = reader_days(events, date(2026, 11, 3), date(2026, 11, 6))
    assert counts(points) == [(1, 0, 0), (1, 0, 0), (2, 0, 0), (2, 0, 0)]
    assert [p.joins for p in points] == [0, 0, 1, 0]


def test_the_day_ends_at_midnight_utc() -> None:
    events = [EventRow(1, "joined", datetime(2026, 11, 1, 23, 59, 59))]
    events.append(EventRow(2, "joined", datetime(2026, 11, 2, 0, 0, 0)))
    points = reader_days(events, date(2026, 11, 1), date(2026, 11, 2))
    assert [p.events["joined"] for p in points] == [1, 1]
    assert counts(points) == [(1, 0, 0), (2, 0, 0)]


def test_forgotten_readers_are_counted_from_their_anonymous_events() -> None:
    # Reader 9 was forgotten: every event of theirs lost its chat id.
    events = [
        EventRow(None, "joined", at(1)),
        EventRow(1, "joined", at(1)),
        EventRow(None, "left", at(2)),
        EventRow(None, "forgot", at(3)),
    ]
    points = reader_days(events, date(2026, 11, 1), date(2026, 11, 3))
    assert counts(points) == [(2, 0, 0), (1, 0, 1), (1, 0, 0)]
    assert [p.leaves for p in points] == [0, 1, 1]


def test_unknown_event_kinds_are_ignored() -> None:
    events = [EventRow(1, "joined", at(1)), EventRow(1, "renamed", at(1))]
    assert counts(reader_days(events, date(2026, 11, 1), date(2026, 11, 1))) == [(1, 0, 0)]


def sample_stats() -> Stats:
    return Stats(
        generated_at=datetime(2026, 11, 27, 9, 30),
        readers=ReaderFigures(total=10, active=7, blocked=2, left=1, new_24h=1, new_7d=4),
        per_topic={"*": 5, "politics": 2},
        per_language={"ru": 4, "en": 3},
        channels=[],
        feeds=[
            FeedHealth(1, "http://x/rss", "A <b>&", None, True, None, 3, "HTTP 500", None, at(26))
        ],
        deliveries=DeliveryFigures(sent=40, failed=2, pending=1, median_seconds=75.0),
        last_breaking=BreakingReach(5, at(27, 8), "Flood", "published", reached=9, total=10),
        days=[DayPoint(date(2026, 11, 27), 7, 2, 1, {"joined": 1})],
    )


def test_the_message_has_every_figure_and_escapes_names() -> None:
    text = format_stats(sample_stats(), "en")
    for expected in (
        "Readers: 10",
        "active 7, blocked 2, left 1",
        "new: 1 in 24 h, 4 in 7 days",
        "all topics 5, politics 2",
        "ru 4, en 3",
        "failing 1",
        "A &lt;b&gt;&amp;",
        "3 errors in a row, last: HTTP 500",
        "sent 40, failed 2, queued 1",
        "75 s",
        "reached 9 of 10",
    ):
        assert expected in text
    assert "<b>Readers: 10</b>" in text


def test_the_plain_text_form_has_no_markup() -> None:
    text = format_stats(sample_stats(), "en", as_html=False)
    assert "<b>Readers" not in text and "A <b>&" in text


def test_the_json_form_is_stable() -> None:
    data = json.loads(json.dumps(stats_json(sample_stats())))
    assert data["schema"] == 1
    assert data["generated_at"] == "2026-11-27T09:30:00Z"
    assert data["readers"] == {
        "total": 10,
        "active": 7,
        "blocked": 2,
        "left": 1,
        "new_24h": 1,
        "new_7d": 4,
        "per_topic": {"*": 5, "politics": 2},
        "per_language": {"ru": 4, "en": 3},
    }
    assert data["feeds"][0]["failing_since"] == "2026-11-26T12:00:00Z"
    assert data["deliveries_24h"]["median_delay_seconds"] == 75.0
    assert data["last_breaking"]["reached"] == 9
    assert data["days"] == [
        {"date": "2026-11-27", "active": 7, "blocked": 2, "left": 1, "events": {"joined": 1}}
    ]


def test_durations_read_naturally() -> None:
    cases = (5, 89.99996, 90.0, 119, 300, 7200)
    assert [duration(s) for s in cases] == ["5 s", "90 s", "90 s", "119 s", "5.0 min", "2.0 h"]


def test_readers_csv_has_one_row_per_day() -> None:
    points = reader_days([EventRow(1, "joined", at(1))], date(2026, 11, 1), date(2026, 11, 2))
    rows = list(csv.reader(io.StringIO(readers_csv(points).decode())))
    assert rows[0][:4] == ["date", "active", "blocked", "left"]
    assert rows[1][:5] == ["2026-11-01", "1", "0", "0", "1"]
    assert rows[2][:5] == ["2026-11-02", "1", "0", "0", "0"]
