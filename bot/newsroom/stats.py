"""The admins' figures: readers, topics, languages, channels, feed health, deliveries.

Everything comes from stored rows, so the history is right for days nobody
asked: the readers' curve is replayed from the ChatEvent log. Assembly here is
pure over what ``storage.stats`` returns; the same ``Stats`` value feeds the
Telegram message, the chart, ``newsbot stats`` and its JSON.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.i18n import translate
from storage import stats as queries
from storage.db import SessionFactory, utcnow
from storage.models import Chat, Feed

CHART_DAYS = 30
EVENT_KINDS = ("joined", "blocked", "unblocked", "left", "returned", "forgot")
READER_STATES = ("active", "blocked", "left")
JSON_SCHEMA = 1
# Each event moves a reader to a state; "forgot" removes the reader.
EVENT_STATE: dict[str, str | None] = {
    "joined": "active",
    "blocked": "blocked",
    "unblocked": "active",
    "left": "left",
    "returned": "active",
    "forgot": None,
}


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


# ---------------------------------------------------------------- the readers' history


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


# ---------------------------------------------------------------- assembly


async def collect_stats(sessions: SessionFactory, now: datetime | None = None) -> Stats:
    """Every figure /stats shows, read in one session."""
    now = now or utcnow()
    today = now.date()
    async with sessions() as session:
        statuses = await queries.reader_status_counts(session)
        last_day = await queries.event_counts_since(session, now - timedelta(days=1))
        last_week = await queries.event_counts_since(session, now - timedelta(days=7))
        events = await queries.reader_events(session, before=now)
        per_topic = await queries.readers_per_topic(session)
        per_language = await queries.readers_per_language(session)
        channels = [_channel(chat) for chat in await queries.channel_chats(session)]
        feeds = [_feed(feed) for feed in await queries.all_feeds(session)]
        counts = await queries.delivery_counts(session, now - timedelta(days=1))
        median = await queries.median_delivery_seconds(session, now - timedelta(days=1))
        breaking = await queries.last_breaking_reach(session)
    readers = ReaderFigures(
        total=sum(statuses.values()),
        active=statuses.get("active", 0),
        blocked=statuses.get("blocked", 0),
        left=statuses.get("left", 0),
        new_24h=last_day.get("joined", 0),
        new_7d=last_week.get("joined", 0),
    )
    return Stats(
        generated_at=now,
        readers=readers,
        per_topic=_sorted_counts(per_topic),
        per_language=_sorted_counts(per_language),
        channels=channels,
        feeds=feeds,
        deliveries=DeliveryFigures(counts["sent"], counts["failed"], counts["pending"], median),
        last_breaking=_breaking(breaking),
        days=reader_days(events, today - timedelta(days=CHART_DAYS - 1), today),
    )


async def collect_history(sessions: SessionFactory, now: datetime | None = None) -> list[DayPoint]:
    """Readers per day since the first event (for /export)."""
    now = now or utcnow()
    async with sessions() as session:
        first = await queries.first_reader_event_at(session)
        events = await queries.reader_events(session, before=now)
    if first is None:
        return []
    return reader_days(events, first.date(), now.date())


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _channel(chat: Chat) -> ChannelFigure:
    return ChannelFigure(
        chat.id,
        chat.telegram_id,
        chat.username,
        chat.title,
        chat.kind,
        chat.status,
        chat.is_target,
        chat.last_error,
    )


def _feed(feed: Feed) -> FeedHealth:
    return FeedHealth(
        feed.id,
        feed.url,
        feed.name or feed.title,
        feed.topic,
        feed.enabled,
        feed.last_success_at,
        feed.error_count,
        feed.last_error,
        feed.next_check_at if feed.enabled else None,
        feed.failing_since,
    )


def _breaking(reach: queries.PostReach | None) -> BreakingReach | None:
    if reach is None:
        return None
    return BreakingReach(
        reach.post_id,
        reach.published_at,
        reach.title,
        reach.state,
        reached=reach.sent + reach.deleted,
        total=reach.total,
    )


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


# ---------------------------------------------------------------- the message


@dataclass(frozen=True)
class _Style:
    """HTML for Telegram, plain text for the terminal."""

    html: bool

    def bold(self, text: str) -> str:
        return f"<b>{text}</b>" if self.html else text

    def text(self, value: object) -> str:
        return html.escape(str(value), quote=False) if self.html else str(value)


MAX_LIST_LINES = 12


def format_stats(stats: Stats, language: str | None, *, as_html: bool = True) -> str:
    """The compact /stats message (or ``newsbot stats`` output with ``as_html=False``)."""
    style = _Style(as_html)

    def t(msgid: str, **values: object) -> str:
        return translate(language, msgid, **values)

    lines = [*_reader_lines(stats, style, t), ""]
    lines += [*_channel_lines(stats, style, t), ""]
    lines += [*_feed_lines(stats, style, t), ""]
    lines += _delivery_lines(stats, style, t)
    return "\n".join(lines).strip()


def _reader_lines(stats: Stats, style: _Style, t: Any) -> list[str]:
    r = stats.readers
    lines = [
        style.bold(t("Readers: {total}", total=r.total)),
        t(
            "active {active}, blocked {blocked}, left {left}",
            active=r.active,
            blocked=r.blocked,
            left=r.left,
        ),
        t("new: {day} in 24 h, {week} in 7 days", day=r.new_24h, week=r.new_7d),
    ]
    if stats.per_topic:
        topics = ", ".join(
            f"{style.text(t('all topics') if topic == '*' else topic)} {n}"
            for topic, n in stats.per_topic.items()
        )
        lines.append(t("Topics: {topics}", topics=topics))
    if stats.per_language:
        langs = ", ".join(f"{style.text(lang)} {n}" for lang, n in stats.per_language.items())
        lines.append(t("Languages: {languages}", languages=langs))
    return lines


def _channel_lines(stats: Stats, style: _Style, t: Any) -> list[str]:
    targets = [c for c in stats.channels if c.is_target]
    lines = [style.bold(t("Channels: {count}", count=len(targets)))]
    ordered = sorted(targets, key=lambda channel: channel.status == "active")  # problems first
    for channel in ordered[:MAX_LIST_LINES]:
        state = t("posting") if channel.status == "active" else t("not posting")
        lines.append(f"{style.text(channel.label)}: {state}")
    if len(ordered) > MAX_LIST_LINES:
        lines.append(t("and {count} more", count=len(ordered) - MAX_LIST_LINES))
    return lines


def _feed_lines(stats: Stats, style: _Style, t: Any) -> list[str]:
    enabled = [f for f in stats.feeds if f.enabled]
    failing = [f for f in enabled if f.failing]
    lines = [
        style.bold(t("Feeds: {count}, failing {failing}", count=len(enabled), failing=len(failing)))
    ]
    ordered = failing + [f for f in enabled if not f.failing]
    for feed in ordered[:MAX_LIST_LINES]:
        lines.append(_feed_line(feed, style, t))
    if len(ordered) > MAX_LIST_LINES:
        lines.append(t("and {count} more", count=len(ordered) - MAX_LIST_LINES))
    return lines


def _feed_line(feed: FeedHealth, style: _Style, t: Any) -> str:
    head = f"#{feed.id} {style.text(_short(feed.label, 40))}"
    if feed.failing:
        detail = t(
            "{errors} errors in a row, last: {error}",
            errors=feed.error_count,
            error=style.text(_short(feed.last_error or "?", 80)),
        )
        return f"⚠ {head}: {detail}"
    success = _clock(feed.last_success_at) if feed.last_success_at else t("never")
    return f"{head}: " + t(
        "last success {success}, next poll {next}",
        success=success,
        next=_clock(feed.next_check_at) if feed.next_check_at else "-",
    )


def _delivery_lines(stats: Stats, style: _Style, t: Any) -> list[str]:
    d = stats.deliveries
    lines = [
        style.bold(t("Deliveries, last 24 h")),
        t(
            "sent {sent}, failed {failed}, queued {pending}",
            sent=d.sent,
            failed=d.failed,
            pending=d.pending,
        ),
    ]
    if d.median_seconds is not None:
        lines.append(
            t("median time from discovery to delivery: {delay}", delay=duration(d.median_seconds))
        )
    b = stats.last_breaking
    if b is not None:
        lines.append(
            t(
                "Last breaking news ({when}): reached {reached} of {total}",
                when=_clock(b.published_at) if b.published_at else "-",
                reached=b.reached,
                total=b.total,
            )
        )
    return lines


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clock(moment: datetime) -> str:
    return moment.strftime("%d.%m %H:%M UTC")


def duration(seconds: float) -> str:
    """A short, language-neutral duration: 42 s, 3.5 min, 2.0 h."""
    seconds = round(seconds, 3)  # 89.9999 from one database and 90.0 from another read alike
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def series(points: Sequence[DayPoint]) -> dict[str, list[int]]:
    """The chart's columns, by name."""
    return {
        "active": [p.active for p in points],
        "blocked": [p.blocked for p in points],
        "joins": [p.joins for p in points],
        "leaves": [p.leaves for p in points],
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
        writer.writerow([*head, _short(post.title, 200), *counts])
    return buffer.getvalue().encode("utf-8")


async def collect_post_reach(
    sessions: SessionFactory, limit: int = 1000
) -> list[queries.PostReach]:
    async with sessions() as session:
        return await queries.posts_reach(session, limit=limit)
