"""Stats against a database filled with a known history: every figure checked exactly,
on SQLite and PostgreSQL, and ``newsbot stats --json`` printing the same."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.newsroom.stats.collect import collect_history, collect_stats
from bot.newsroom.stats.exports import stats_json
from bot.newsroom.stats.figures import Stats
from storage.db import SessionFactory, create_engine, session_factory, upgrade, utcnow
from storage.models import Article, Chat, ChatEvent, Delivery, Feed, Post, Subscription

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 12, 0)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


async def open_db(db_url: str) -> tuple[AsyncEngine, SessionFactory]:
    engine = create_engine(db_url)
    await upgrade(engine)
    return engine, session_factory(engine)


def reader(
    telegram_id: int, joined: datetime, language: str, status: str = "active"
) -> tuple[Chat, list[ChatEvent]]:
    chat = Chat(
        telegram_id=telegram_id, kind="private", language=language, status=status, joined_at=joined
    )
    return chat, [ChatEvent(kind="joined", chat_kind="private", at=joined)]


async def seed_history(sessions: SessionFactory, now: datetime = NOW) -> dict[str, int]:
    """A newsroom's month, with known figures (see test_figures_are_exact); returns our ids."""

    def back(**delta: float) -> datetime:
        return now - timedelta(**delta)

    async with sessions.begin() as session:
        a, a_events = reader(1001, back(days=40), "en")
        b, b_events = reader(1002, back(days=20), "ru", status="blocked")
        b_events.append(ChatEvent(kind="blocked", chat_kind="private", at=back(days=10)))
        c, c_events = reader(1003, back(days=5), "kk", status="left")
        c_events.append(ChatEvent(kind="left", chat_kind="private", at=back(days=3)))
        d, d_events = reader(1004, back(hours=2), "ru")
        e, e_events = reader(1005, back(days=3), "en")
        news = Chat(
            telegram_id=-1001,
            username="news",
            kind="channel",
            status="active",
            is_target=True,
            joined_at=back(days=50),
        )
        old = Chat(
            telegram_id=-1002,
            username="old",
            kind="channel",
            status="left",
            is_target=True,
            joined_at=back(days=50),
            left_at=back(days=1),
            last_error="Forbidden: bot was kicked",
        )
        session.add_all([a, b, c, d, e, news, old])
        await session.flush()
        for chat, events in (
            (a, a_events),
            (b, b_events),
            (c, c_events),
            (d, d_events),
            (e, e_events),
        ):
            for event in events:
                event.chat_id = chat.id
                session.add(event)
        session.add(ChatEvent(chat_id=news.id, kind="joined", chat_kind="channel", at=back(days=2)))
        # A reader who joined and then used /forget: their events have no chat any more.
        session.add(ChatEvent(chat_id=None, kind="joined", chat_kind="private", at=back(days=15)))
        session.add(ChatEvent(chat_id=None, kind="forgot", chat_kind="private", at=back(days=12)))
        for chat, topic in ((a, "*"), (d, "politics"), (d, "sport"), (e, "politics"), (c, "sport")):
            session.add(Subscription(chat_id=chat.id, topic=topic, created_at=chat.joined_at))
        healthy = Feed(
            url="http://feeds.example/healthy.xml",
            name="Healthy",
            topic="politics",
            interval=300,
            next_check_at=back(minutes=-5),
            last_success_at=back(minutes=5),
            error_count=0,
            created_at=back(days=60),
        )
        failing = Feed(
            url="http://feeds.example/failing.xml",
            name="Failing <Feed>",
            interval=300,
            next_check_at=back(minutes=-20),
            last_success_at=back(days=1),
            error_count=3,
            failing_since=back(hours=2),
            last_error="HTTP 500",
            created_at=back(days=60),
        )
        session.add_all([healthy, failing])
        await session.flush()
        fresh = await _article_post(session, healthy, back(hours=3), "Fresh news")
        stale = await _article_post(session, healthy, back(days=2), "Old news")
        found = back(hours=3)
        for chat, status, delay in (
            (news, "sent", 30), (a, "sent", 60), (d, "sent", 120), (e, "sent", 180),
            (b, "failed", None), (old, "pending", None),
        ):  # fmt: skip
            sent_at = found + timedelta(seconds=delay) if delay is not None else None
            session.add(_delivery(fresh, chat, status, found, sent_at))
        session.add(_delivery(stale, a, "sent", back(days=2), back(days=2) + timedelta(seconds=5)))
        session.add(_delivery(stale, b, "failed", back(days=2), None))
        breaking = Post(
            kind="breaking",
            state="published",
            priority=100,
            text="Flood warning",
            created_at=back(hours=1),
            published_at=back(hours=1),
            sort_at=back(hours=1),
        )
        session.add(breaking)
        await session.flush()
        for chat, status in (
            (news, "sent"),
            (a, "sent"),
            (d, "sent"),
            (e, "deleted"),
            (b, "skipped"),
        ):
            sent_at = back(minutes=59) if status in ("sent", "deleted") else None
            session.add(_delivery(breaking, chat, status, back(hours=1), sent_at))
    return {"a": a.id, "b": b.id, "news": news.id, "old": old.id, "failing": failing.id}


async def _article_post(session: object, feed: Feed, found: datetime, title: str) -> Post:
    article = Article(
        feed_id=feed.id, key=title, title=title, summary="", discovered_at=found, content_hash="x"
    )
    session.add(article)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    post = Post(
        kind="article", state="published", article_id=article.id, feed_id=feed.id,
        created_at=found, published_at=found, sort_at=found,
    )  # fmt: skip
    session.add(post)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    return post


def _delivery(
    post: Post, chat: Chat, status: str, created: datetime, sent_at: datetime | None
) -> Delivery:
    return Delivery(
        post_id=post.id, chat_id=chat.id, status=status, sort_at=created, next_attempt_at=created,
        created_at=created, sent_at=sent_at,
    )  # fmt: skip


def check_figures(stats: Stats) -> None:
    """The figures seed_history implies."""
    r = stats.readers
    assert (r.total, r.active, r.blocked, r.left, r.new_24h, r.new_7d) == (5, 3, 1, 1, 1, 3)
    assert stats.per_topic == {"politics": 2, "*": 1, "sport": 1}
    assert stats.per_language == {"en": 2, "ru": 1}
    assert [(c.username, c.status, c.is_target) for c in stats.channels] == [
        ("news", "active", True),
        ("old", "left", True),
    ]
    failing = next(feed for feed in stats.feeds if feed.error_count)
    assert (failing.label, failing.error_count, failing.last_error) == (
        "Failing <Feed>",
        3,
        "HTTP 500",
    )
    d = stats.deliveries
    assert (d.sent, d.failed, d.pending) == (8, 1, 1)
    assert d.median_seconds is not None and abs(d.median_seconds - 90.0) < 0.01
    assert stats.last_breaking is not None
    assert (stats.last_breaking.reached, stats.last_breaking.total) == (4, 5)


async def test_figures_are_exact(db_url: str) -> None:
    engine, sessions = await open_db(db_url)
    try:
        await seed_history(sessions)
        stats = await collect_stats(sessions, NOW)
    finally:
        await engine.dispose()
    check_figures(stats)
    by_day = {p.day: (p.active, p.blocked, p.left) for p in stats.days}
    assert len(stats.days) == 30
    assert stats.days[0].day == date(2026, 10, 29) and stats.days[-1].day == date(2026, 11, 27)
    assert by_day[date(2026, 10, 29)] == (1, 0, 0)  # only A, who joined 40 days ago
    assert by_day[date(2026, 11, 12)] == (3, 0, 0)  # B and the reader later forgotten
    assert by_day[date(2026, 11, 15)] == (2, 0, 0)  # forgotten
    assert by_day[date(2026, 11, 17)] == (1, 1, 0)  # B blocked the bot
    assert by_day[date(2026, 11, 24)] == (2, 1, 1)  # C left, E joined
    assert by_day[date(2026, 11, 27)] == (3, 1, 1)  # D joined: today's figures
    assert sum(p.joins for p in stats.days) == 5
    assert sum(p.leaves for p in stats.days) == 2


async def test_history_for_export_starts_at_the_first_event(db_url: str) -> None:
    engine, sessions = await open_db(db_url)
    try:
        await seed_history(sessions)
        days = await collect_history(sessions, NOW)
    finally:
        await engine.dispose()
    assert days[0].day == date(2026, 10, 18) and days[-1].day == date(2026, 11, 27)
    assert (days[-1].active, days[-1].blocked, days[-1].left) == (3, 1, 1)


async def test_an_empty_database_has_zero_figures(db_url: str) -> None:
    engine, sessions = await open_db(db_url)
    try:
        stats = await collect_stats(sessions, NOW)
    finally:
        await engine.dispose()
    assert stats.readers.total == 0 and stats.deliveries.median_seconds is None
    assert stats.last_breaking is None and [p.active for p in stats.days] == [0] * 30
    assert stats_json(stats)["last_breaking"] is None


async def test_the_cli_prints_the_same_figures_as_json(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    engine, sessions = await open_db(db_url)
    try:
        # The CLI reads the clock itself: the history is placed relative to now.
        await seed_history(sessions, utcnow().replace(microsecond=0))
    finally:
        await engine.dispose()
    run = await newsbot(tmp_path, db_url, "stats", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["schema"] == 1
    assert {k: data["readers"][k] for k in ("total", "active", "blocked", "left")} == {
        "total": 5, "active": 3, "blocked": 1, "left": 1,
    }  # fmt: skip
    assert data["deliveries_24h"]["median_delay_seconds"] == 90.0
    assert data["last_breaking"]["reached"] == 4 and len(data["days"]) == 30
    text = await newsbot(tmp_path, db_url, "stats")
    assert text.returncode == 0 and "Readers: 5" in text.stdout and "<b>" not in text.stdout


async def newsbot(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``newsbot ARGS`` as an operator runs it, against ``db_url``, with no other settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(PYTHONPATH=str(ROOT), NEWSBOT_DATABASE_URL=db_url)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    command = [sys.executable, "-m", "bot", *args]
    return await asyncio.to_thread(
        subprocess.run, command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
