"""The readers' history: each day's states replayed from the ChatEvent log, oldest first.

Replaying the log (rather than keeping daily snapshots) makes the curve right for
days nobody asked about.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.newsroom.stats.figures import EVENT_KINDS, READER_STATES, DayPoint
from storage import stats as queries

# Each event moves a reader to a state; "forgot" removes the reader.
EVENT_STATE: dict[str, str | None] = {
    "joined": "active",
    "blocked": "blocked",
    "unblocked": "active",
    "left": "left",
    "returned": "active",
    "forgot": None,
}


@dataclass
class _Replay:
    """Readers' states while the event log is replayed, oldest first.

    A forgotten reader's events lose their chat id (the row is gone), so those
    are tallied in an anonymous pool: each moves one reader between states, and
    "forgot" removes one from "left" first, then "active", then "blocked".
    """

    states: dict[int, str] = field(default_factory=dict)
    pool: Counter[str] = field(default_factory=Counter)

    def apply(self, chat_id: int | None, kind: str) -> None:
        target = EVENT_STATE.get(kind, "unknown")
        if target == "unknown":
            return
        if chat_id is not None:
            if target is None:
                self.states.pop(chat_id, None)
            else:
                self.states[chat_id] = target
            return
        self._apply_anonymous(kind, target)

    def _apply_anonymous(self, kind: str, target: str | None) -> None:
        if kind == "joined":
            self.pool["active"] += 1
            return
        source = next((s for s in _SOURCES[kind] if self.pool[s] > 0), None)
        if source is None:
            return
        self.pool[source] -= 1
        if target is not None:
            self.pool[target] += 1

    def counts(self) -> dict[str, int]:
        tally = Counter(self.states.values())
        return {state: tally[state] + self.pool[state] for state in READER_STATES}


_SOURCES: dict[str, tuple[str, ...]] = {
    "blocked": ("active", "left"),
    "unblocked": ("blocked",),
    "left": ("active",),
    "returned": ("left",),
    "forgot": ("left", "active", "blocked"),
}


def reader_days(
    events: Iterable[queries.EventRow], first_day: date, last_day: date
) -> list[DayPoint]:
    """Readers at the end of each day from ``first_day`` to ``last_day``, replayed from events."""
    replay = _Replay()
    pending = iter(sorted(events, key=lambda row: row.at))
    upcoming = next(pending, None)
    points: list[DayPoint] = []
    day = first_day
    while day <= last_day:
        end = datetime.combine(day + timedelta(days=1), datetime.min.time())
        today: Counter[str] = Counter()
        while upcoming is not None and upcoming.at < end:
            replay.apply(upcoming.chat_id, upcoming.kind)
            if upcoming.at >= end - timedelta(days=1):
                today[upcoming.kind] += 1
            upcoming = next(pending, None)
        counts = replay.counts()
        points.append(
            DayPoint(
                day,
                counts["active"],
                counts["blocked"],
                counts["left"],
                {kind: today[kind] for kind in EVENT_KINDS},
            )
        )
        day += timedelta(days=1)
    return points
