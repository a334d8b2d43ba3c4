"""The figures as text: the compact /stats message in HTML, or plain for the terminal."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.i18n import translate, translate_plural
from bot.newsroom.stats.figures import FeedHealth, Stats
from config.topics import NO_NAMES, TopicNames


@dataclass(frozen=True)
class _Style:
    """HTML for Telegram, plain text for the terminal."""

    html: bool

    def bold(self, text: str) -> str:
        return f"<b>{text}</b>" if self.html else text

    def text(self, value: object) -> str:
        return html.escape(str(value), quote=False) if self.html else str(value)


MAX_LIST_LINES = 12


def format_stats(
    stats: Stats, language: str | None, *, as_html: bool = True, names: TopicNames = NO_NAMES
) -> str:
    """The compact /stats message (or ``newsbot stats`` output with ``as_html=False``);
    topics go by their ``names`` in ``language``."""
    style = _Style(as_html)

    def t(msgid: str, **values: object) -> str:
        return translate(language, msgid, **values)

    def topic(slug: str) -> str:
        return t("all topics") if slug == "*" else names.name(slug, language)

    lines = [*_reader_lines(stats, style, t, topic), ""]
    lines += [*_channel_lines(stats, style, t), ""]
    lines += [*_feed_lines(stats, style, t, language), ""]
    lines += _delivery_lines(stats, style, t)
    return "\n".join(lines).strip()


def _reader_lines(stats: Stats, style: _Style, t: Any, topic_name: Any) -> list[str]:
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
            f"{style.text(topic_name(topic))} {n}" for topic, n in stats.per_topic.items()
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


def _feed_lines(stats: Stats, style: _Style, t: Any, language: str | None) -> list[str]:
    enabled = [f for f in stats.feeds if f.enabled]
    failing = [f for f in enabled if f.failing]
    lines = [
        style.bold(t("Feeds: {count}, failing {failing}", count=len(enabled), failing=len(failing)))
    ]
    ordered = failing + [f for f in enabled if not f.failing]
    for feed in ordered[:MAX_LIST_LINES]:
        lines.append(_feed_line(feed, style, t, language))
    if len(ordered) > MAX_LIST_LINES:
        lines.append(t("and {count} more", count=len(ordered) - MAX_LIST_LINES))
    return lines


def _feed_line(feed: FeedHealth, style: _Style, t: Any, language: str | None) -> str:
    head = f"#{feed.id} {style.text(shorten(feed.label, 40))}"
    if feed.failing:
        detail = translate_plural(
            language,
            "{errors} error in a row, last: {error}",
            "{errors} errors in a row, last: {error}",
            feed.error_count,
            errors=feed.error_count,
            error=style.text(shorten(feed.last_error or "?", 80)),
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
    e = stats.edits
    if e.edited or e.failed or e.expired or e.pending:
        lines.append(
            t(
                "corrections followed: {edited} copies edited, {failed} failed, "
                "{expired} too old, {pending} queued",
                edited=e.edited,
                failed=e.failed,
                expired=e.expired,
                pending=e.pending,
            )
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


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters; the CSV export trims titles alike."""
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
