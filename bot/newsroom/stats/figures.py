"""The figures as values: what /stats, the chart, the JSON and the CSV exports are made of.

Plain frozen data, no database and no text, so every form reads the same ``Stats``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

EVENT_KINDS = ("joined", "blocked", "unblocked", "left", "returned", "forgot")
READER_STATES = ("active", "blocked", "left")


@dataclass(frozen=True)
class ReaderFigures:
    total: int
    active: int
    blocked: int
    left: int
    new_24h: int
    new_7d: int


@dataclass(frozen=True)
class DayPoint:
    """Readers at the end of one UTC day, and what happened that day."""

    day: date
    active: int
    blocked: int
    left: int
    events: dict[str, int]

    @property
    def joins(self) -> int:
        return self.events.get("joined", 0) + self.events.get("returned", 0)

    @property
    def leaves(self) -> int:
        return self.events.get("left", 0) + self.events.get("forgot", 0)


@dataclass(frozen=True)
class ChannelFigure:
    id: int
    telegram_id: int | None
    username: str | None
    title: str | None
    kind: str
    status: str
    is_target: bool
    last_error: str | None

    @property
    def label(self) -> str:
        if self.username:
            return f"@{self.username}"
        return self.title or str(self.telegram_id)


@dataclass(frozen=True)
class FeedHealth:
    id: int
    url: str
    name: str | None
    topic: str | None
    enabled: bool
    last_success_at: datetime | None
    error_count: int
    last_error: str | None
    next_check_at: datetime | None
    failing_since: datetime | None

    @property
    def label(self) -> str:
        return self.name or self.url

    @property
    def failing(self) -> bool:
        return self.error_count > 0


@dataclass(frozen=True)
class DeliveryFigures:
    """The last 24 hours: sent, failed for good, still queued, and how long news took."""

    sent: int
    failed: int
    pending: int
    median_seconds: float | None


@dataclass(frozen=True)
class EditFigures:
    """The last 24 hours of copies edited after their article changed at the source."""

    edited: int = 0
    failed: int = 0
    expired: int = 0  # past the 48 hours: left as they were
    pending: int = 0  # queued now


@dataclass(frozen=True)
class BreakingReach:
    post_id: int
    published_at: datetime | None
    text: str
    state: str
    reached: int  # sent, or sent and since recalled
    total: int


@dataclass(frozen=True)
class Stats:
    generated_at: datetime
    readers: ReaderFigures
    per_topic: dict[str, int]
    per_language: dict[str, int]
    channels: list[ChannelFigure]
    feeds: list[FeedHealth]
    deliveries: DeliveryFigures
    last_breaking: BreakingReach | None
    days: list[DayPoint] = field(default_factory=list)
    edits: EditFigures = field(default_factory=EditFigures)
