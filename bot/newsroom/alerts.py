"""Alerts: tell the admins once when a feed keeps failing or a channel stops taking posts,
and once more when it recovers.

The Alert table is the memory: a row exists while admins know of a problem.
Raising inserts the row before telling anyone and recovering deletes it first,
so when two checks race (two processes, or a tick and a manual check) only the
one whose write took effect sends the message: no floods, no duplicates.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from telegram import Bot

from bot.newsroom.notify import notify_admins
from bot.newsroom.services import Services
from storage import stats as queries
from storage.db import utcnow
from storage.models import Alert, Chat, Feed

log = logging.getLogger(__name__)

# More new problems than this in one check are told in one summary message.
MAX_MESSAGES_PER_CHECK = 5


@dataclass(frozen=True)
class Problem:
    key: str  # feed:<id> | channel:<id>
    label: str
    since: datetime
    detail: str

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]


def feed_is_failing(feed: Feed, now: datetime, after_seconds: int) -> bool:
    """A feed is alerted once it has failed without a success for ``after_seconds``."""
    if not feed.enabled or feed.failing_since is None:
        return False
    return now - feed.failing_since >= timedelta(seconds=after_seconds)


def channel_is_failing(chat: Chat, last_failure: str | None) -> bool:
    """A target channel whose latest posts failed for good, or that delivery found gone.

    A removal Telegram announced (my_chat_member) is told to the admins at once
    by ``bot.handlers.membership``, which leaves no error on the chat; only a
    removal found while sending (the update was missed) carries one, so only
    that one is alerted here: one message per event, not two.
    """
    if not chat.is_target:
        return False
    if last_failure is not None:
        return True
    return chat.status != "active" and chat.last_error is not None


def feed_label(feed: Feed) -> str:
    return f"#{feed.id} {feed.name or feed.title or feed.url}"


def channel_label(chat: Chat) -> str:
    return f"@{chat.username}" if chat.username else chat.title or str(chat.telegram_id)


async def find_problems(services: Services, now: datetime) -> tuple[dict[str, Problem], set[str]]:
    """Current problems by key, and every key still watched (enabled feeds, target channels)."""
    after = services.settings.alerts.feed_failing_after
    problems: dict[str, Problem] = {}
    watched: set[str] = set()
    async with services.sessions() as session:
        for feed in await queries.all_feeds(session):
            if feed.enabled:
                watched.add(f"feed:{feed.id}")
            if feed_is_failing(feed, now, after):
                assert feed.failing_since is not None
                problems[f"feed:{feed.id}"] = Problem(
                    f"feed:{feed.id}", feed_label(feed), feed.failing_since, feed.last_error or "?"
                )
        failures = await queries.failing_channels(session)
        for chat in await queries.channel_chats(session):
            if chat.is_target:
                watched.add(f"channel:{chat.id}")
            failure = failures.get(chat.id)
            if channel_is_failing(chat, failure):
                problems[f"channel:{chat.id}"] = Problem(
                    f"channel:{chat.id}",
                    channel_label(chat),
                    chat.left_at or now,
                    chat.last_error or failure or chat.status,
                )
    return problems, watched


async def check_alerts(bot: Bot, services: Services, now: datetime | None = None) -> list[str]:
    """Raise alerts for new problems, clear those that recovered; returns the keys told about."""
    now = now or utcnow()
    problems, watched = await find_problems(services, now)
    async with services.sessions() as session:
        known = {alert.key: alert for alert in (await session.scalars(select(Alert))).all()}
    raised = [p for key, p in problems.items() if key not in known and await _claim(services, p)]
    recovered: list[Alert] = []
    for key, alert in known.items():
        released = key not in problems and await _release(services, key)
        if released and key in watched:  # a removed feed or channel needs no "works again"
            recovered.append(alert)
    await _tell_raised(bot, services, raised)
    for alert in recovered:
        await _tell(bot, services, _RECOVERED[alert.key.split(":", 1)[0]], alert.detail or "")
    told = [p.key for p in raised] + [a.key for a in recovered]
    if told:
        log.info("alerts told keys=%s", ",".join(told))
    return told


async def _claim(services: Services, problem: Problem) -> bool:
    try:
        async with services.sessions.begin() as session:
            session.add(
                Alert(
                    key=problem.key, since=problem.since, notified_at=utcnow(), detail=problem.label
                )
            )
    except IntegrityError:
        return False  # another check raised it first
    return True


async def _release(services: Services, key: str) -> bool:
    async with services.sessions.begin() as session:
        result = await session.execute(delete(Alert).where(Alert.key == key))
    return bool(getattr(result, "rowcount", 0))


_RAISED = {
    "feed": "⚠️ Feed {label} has been failing since {since}: {detail}",
    "channel": "⚠️ Channel {label} stopped accepting posts: {detail}",
}
_RECOVERED = {
    "feed": "✅ Feed {label} works again.",
    "channel": "✅ Channel {label} accepts posts again.",
}


async def _tell_raised(bot: Bot, services: Services, raised: list[Problem]) -> None:
    for problem in raised[:MAX_MESSAGES_PER_CHECK]:
        await _tell(
            bot,
            services,
            _RAISED[problem.kind],
            problem.label,
            since=problem.since.strftime("%d.%m %H:%M UTC"),
            detail=problem.detail[:300],
        )
    rest = raised[MAX_MESSAGES_PER_CHECK:]
    if rest:
        labels = ", ".join(problem.label for problem in rest)
        await _tell(
            bot,
            services,
            "⚠️ {count} more problem: {label}. See /stats.",
            labels,
            plural=("⚠️ {count} more problems: {label}. See /stats.", len(rest)),
            count=len(rest),
        )


async def _tell(
    bot: Bot,
    services: Services,
    msgid: str,
    label: str,
    plural: tuple[str, int] | None = None,
    **values: Any,
) -> None:
    escaped = {key: html.escape(str(value), quote=False) for key, value in values.items()}
    label = html.escape(label, quote=False)
    await notify_admins(bot, services, msgid, plural=plural, label=label, **escaped)
