"""The operator's endpoint from the outside: real HTTP to /healthz and /metrics of a running
bot, with a failing feed and a 429 from the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bot.ops.endpoint import OpsEndpoint
from bot.telemetry import Telemetry
from config.settings import OpsSettings
from storage.db import create_engine, session_factory, utcnow
from storage.models import Feed
from tests.feedgen import items, rss
from tests.harness import RunningBot, running_bot
from tests.integration.test_alerts import until

CHANNEL_ID = -1001234500001
CHANNEL = "@ops_news"
OPS = {"listen": "127.0.0.1:0"}


def endpoint(bot: RunningBot) -> str:
    assert bot.newsbot.ops is not None
    return bot.newsbot.ops.listener.origin


def sample(metrics: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus's text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = "^" + re.escape(name + (f"{{{wanted}}}" if labels else "")) + r" (\S+)$"
    found = re.search(pattern, metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url)


async def test_metrics_count_feed_polls_deliveries_and_a_429(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    emulator.add_channel(CHANNEL_ID, username=CHANNEL, title="Ops News")
    feed_server.put("/good", rss(items("old", 1)))
    feed_server.fail("/broken", 500, times=10_000)
    feeds = [
        {"url": feed_server.url("/good"), "channels": [CHANNEL], "interval": 1},
        {"url": feed_server.url("/broken"), "interval": 1},
    ]
    async with running_bot(emulator, db_url, feeds=feeds, ops=OPS) as bot:
        url = endpoint(bot)

        async def both_polled() -> bool:
            text = (await get(f"{url}/metrics")).text
            failed = sample(text, "newsbot_feed_polls_total", outcome="error")
            fine = sum(
                sample(text, "newsbot_feed_polls_total", outcome=outcome)
                for outcome in ("new", "unchanged", "not-modified")
            )
            return failed >= 1 and fine >= 1

        await until(both_polled)
        emulator.fail_next("sendMessage", 429, chat_id=CHANNEL, retry_after=1)
        feed_server.put("/good", rss(items("old", 1) + items("new", 2, start=10)))
        await emulator.wait_for_messages(CHANNEL_ID, 2, timeout=15)

        async def counted() -> bool:
            # A send is counted when Telegram answers; the queue's row is settled by the
            # worker's next flush a moment later.
            text = (await get(f"{url}/metrics")).text
            sent = sample(text, "newsbot_deliveries_total", outcome="sent", reason="")
            return sent == 2 and sample(text, "newsbot_queue_depth") == 0

        await until(counted)
        metrics = await get(f"{url}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert emulator.rejected_429 == 1
        assert sample(text, "newsbot_telegram_429_total") == 1
        assert sample(text, "newsbot_deliveries_total", outcome="retried", reason="wait_and_retry")
        assert sample(text, "newsbot_queue_depth") == 0
        # The entries link to pages nobody serves: two page fetches that failed.
        assert sample(text, "newsbot_fetches_total", kind="page", outcome="error") == 2
        assert sample(text, "newsbot_queue_oldest_pending_seconds") == 0
        assert 0 <= sample(text, "newsbot_last_feed_poll_age_seconds") < 600
        # Defined for the edits and breaking broadcasts, counted where they happen.
        assert "newsbot_edits_total 0.0" in text
        assert "newsbot_breaking_broadcasts_total 0.0" in text

        health = await get(f"{url}/healthz")
        assert health.status_code == 200, health.text
        assert health.text.splitlines()[0] == "ok"
        assert "queue_depth=0" in health.text.splitlines()


async def test_healthz_is_503_when_the_last_successful_poll_is_too_old(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    feed_server.put("/rss", rss(items("s", 1)))
    feeds = [{"url": feed_server.url("/rss"), "interval": 3600}]
    ops = {**OPS, "poll_stale_after": 600}
    async with running_bot(emulator, db_url, feeds=feeds, ops=ops) as bot:
        url = endpoint(bot)

        async def healthy() -> bool:
            return (await get(f"{url}/healthz")).status_code == 200

        await until(healthy)
        async with bot.services.sessions.begin() as session:
            await session.execute(
                update(Feed).values(last_success_at=utcnow() - timedelta(hours=2))
            )
        health = await get(f"{url}/healthz")
        assert health.status_code == 503
        assert health.text.startswith("last successful feed poll 72")
        assert "over poll_stale_after=600s" in health.text


async def test_healthz_is_503_while_no_feed_has_been_polled(
    emulator: Any, feed_server: Any, db_url: str
) -> None:
    feed_server.fail("/rss", 500, times=10_000)
    feeds = [{"url": feed_server.url("/rss"), "interval": 1}]
    async with running_bot(emulator, db_url, feeds=feeds, ops=OPS) as bot:
        health = await get(f"{endpoint(bot)}/healthz")
        assert health.status_code == 503
        assert health.text.splitlines()[0] == "no feed has been polled successfully yet"


@pytest.mark.parametrize(
    "database_url",
    [
        "sqlite+aiosqlite:////nonexistent-directory/newsbot.db",
        "postgresql+asyncpg://newsbot:newsbot@127.0.0.1:1/newsbot",  # nothing listens on port 1
    ],
    ids=["sqlite", "postgres"],
)
async def test_healthz_is_503_when_the_database_is_unreachable(database_url: str) -> None:
    engine = create_engine(database_url)
    ops = OpsEndpoint(session_factory(engine), OpsSettings(), Telemetry(), "127.0.0.1:0")
    await ops.start()
    try:
        health = await get(f"{ops.listener.origin}/healthz")
        metrics = await get(f"{ops.listener.origin}/metrics")
    finally:
        await ops.stop()
        await engine.dispose()
    assert health.status_code == 503
    assert health.text.startswith("database unreachable: ")
    assert metrics.status_code == 200  # the counters stay readable
    assert "newsbot_deliveries_total" in metrics.text


async def test_the_endpoint_is_off_unless_listen_is_set(emulator: Any, db_url: str) -> None:
    async with running_bot(emulator, db_url) as bot:
        assert bot.newsbot.ops is None
