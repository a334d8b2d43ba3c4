"""Delivery benchmark: N readers, one post, against the Bot API emulator in its own process.

    python -m bench.delivery --readers 1000 --latency 0.1 --rate 30
    python -m bench.delivery --readers 20000 --latency 0.1 --rate 1000 --paid

The emulator runs as a separate process with Telegram's flood limits on, so
the CPU time measured here is the bot's own (worker, PTB, transport and the
SQLite queue, which lives in this process). Printed for our worker and for
the plain loop a user would write (PTB's AIORateLimiter, the default
HTTPXRequest, one ``await bot.send_message`` per chat), measured in the same
run on a sample of the readers:

- efficiency: achieved rate / allowed rate (the configured rate, capped by
  Telegram's limit);
- 429s the emulator answered;
- bot CPU time per message (process CPU time / messages);
- peak memory: the growth of resident memory during the drain.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from telegram import Bot
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder

from bench.emulated import (
    TOKEN,
    Control,
    add_loop_option,
    cpu_of,
    emulator_process,
    loop_runner,
)
from bot.delivery.limiter import allowed_rate
from bot.delivery.transport import make_request
from bot.delivery.worker import DeliveryWorker, freeze_heap
from bot.feeds.fetcher import Fetcher
from config.settings import DeliverySettings, PollingSettings, Settings
from storage import db
from storage.deliveries import enqueue_post
from storage.models import Article, Feed, Post

FIRST_READER = 10_000_000


@dataclass
class Figures:
    name: str
    messages: int
    wall: float
    cpu: float
    rejected_429: int
    peak_rss_mb: float
    allowed: float
    emulator_cpu: float = 0.0
    main_thread_cpu: float = 0.0  # the event loop's thread alone (the rest: the SQLite thread)

    @property
    def rate(self) -> float:
        return self.messages / self.wall if self.wall else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<10} messages={self.messages:<7} wall={self.wall:7.2f}s "
            f"rate={self.rate:8.1f}/s efficiency={self.rate / self.allowed:5.3f} "
            f"429s={self.rejected_429:<4} cpu/msg={1000 * self.cpu / max(1, self.messages):6.3f}ms "
            f"(event loop {1000 * self.main_thread_cpu / max(1, self.messages):5.3f}ms) "
            f"rss_growth={self.peak_rss_mb:6.1f}MB "
            f"emulator_cpu={100 * self.emulator_cpu / max(self.wall, 1e-9):3.0f}%"
        )


async def fill_database(url: str, readers: int) -> tuple[Any, Post]:
    """N readers subscribed to every topic, made in SQL (no Python object per reader)."""
    engine = db.create_engine(url)
    await db.upgrade(engine)
    now = db.utcnow()
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "WITH RECURSIVE seq(n) AS"
                " (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :last)"
                " INSERT INTO chats (telegram_id, kind, language, status, is_target, joined_at)"
                " SELECT :first + n, 'private', 'en', 'active', false, :now FROM seq"
            ),
            {"first": FIRST_READER, "last": readers - 1, "now": now},
        )
        await connection.execute(
            text(
                "INSERT INTO subscriptions (chat_id, topic, created_at)"
                " SELECT id, '*', :now FROM chats"
            ),
            {"now": now},
        )
    sessions = db.session_factory(engine)
    async with sessions() as session:
        feed = Feed(url="https://example.kz/rss", name="Example News", next_check_at=now,
                    created_at=now)  # fmt: skip
        session.add(feed)
        await session.flush()
        article = Article(
            feed_id=feed.id,
            key="bench",
            url="https://example.kz/news/bench",
            title="Minister reports to the UN Human Rights Council in Geneva",
            summary="The delegation presented the national report. Questions followed.",
            discovered_at=now,
            content_hash="bench",
        )
        session.add(article)
        await session.flush()
        post = Post(kind="article", article_id=article.id, feed_id=feed.id, priority=0,
                    url=article.url, created_at=now, published_at=now, sort_at=now)  # fmt: skip
        session.add(post)
        await session.commit()
    return engine, post


async def rss_peak(sample: Callable[[], Awaitable[None]]) -> float:
    """Run ``sample`` and return the growth of resident memory (MB) while it ran."""
    page = os.sysconf("SC_PAGE_SIZE")
    # Opened once and read again in place (3 µs, against 30 µs for an open, a read
    # and a close): the sampler runs in the bot's process, so its CPU is counted as the bot's.
    statm = os.open("/proc/self/statm", os.O_RDONLY)

    def rss() -> int:
        return int(os.pread(statm, 128, 0).split()[1]) * page

    base = rss()
    peak = base
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss())
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    try:
        await sample()
    finally:
        done.set()
        await watcher
        growth = (max(peak, rss()) - base) / 1e6
        os.close(statm)
    return growth


@contextlib.asynccontextmanager
async def profiled(path: str | None) -> AsyncIterator[None]:
    if not path:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue(), file=sys.stderr)


async def measure_worker(args: argparse.Namespace, root: str, control: Control) -> Figures:
    settings = Settings(
        api_url=root,
        delivery=DeliverySettings(rate=args.rate, paid_broadcast=args.paid),
    )
    folder = tempfile.mkdtemp(prefix="newsbot-bench-")
    url = args.db_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
    engine, post = await fill_database(url, args.readers)
    async with db.session_factory(engine)() as session:
        started = time.perf_counter()
        rows = await enqueue_post(session, post)
        await session.commit()
        print(f"enqueue    rows={rows} in {time.perf_counter() - started:.2f}s", file=sys.stderr)
    bot = Bot(TOKEN, base_url=f"{root}/bot{{token}}", request=make_request(settings))
    await bot.initialize()
    fetcher = Fetcher(PollingSettings())
    worker = DeliveryWorker(bot, db.session_factory(engine), settings, fetcher, worker_id="bench")
    before = await control.rejected_429()
    sent = 0
    cpu = wall = loop_cpu = 0.0

    # Once per process, at a bot's first drain (worker.freeze_heap): paid here,
    # before the clock, as by a bot that has sent before. Printed, not hidden.
    started = time.perf_counter()
    freeze_heap()
    frozen_in = time.perf_counter() - started
    print(f"heap       frozen in {frozen_in:.3f}s (once per process)", file=sys.stderr)

    async def drain() -> None:
        nonlocal sent, cpu, wall, loop_cpu
        cpu0, wall0, loop0 = time.process_time(), time.perf_counter(), time.thread_time()
        times0 = os.times()
        async with profiled(args.profile):
            report = await worker.drain()
        times1 = os.times()
        user, system = times1.user - times0.user, times1.system - times0.system
        print(f"bot        user={user:.2f}s system={system:.2f}s", file=sys.stderr)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        loop_cpu = time.thread_time() - loop0
        sent = report.sent
        # How wide the limiter's margin ended (each flood widens it), and how many
        # sends came back late enough to be held in its window longer.
        limiter = worker.limiter
        print(
            f"limiter    window_guard={limiter.window_guard:.3f}s"
            f" late_answers={limiter.late_answers}",
            file=sys.stderr,
        )

    growth = await rss_peak(drain)
    stats = await control.stats()
    rejected = int(stats["rejected_429"]) - before
    # The margin left: most messages the emulator accepted within any one second.
    print(f"emulator   peak arrivals in any 1 s={stats['peak_per_second']}", file=sys.stderr)
    await fetcher.aclose()
    await bot.shutdown()
    await engine.dispose()
    allowed = allowed_rate(args.rate, paid_broadcast=args.paid)
    return Figures("worker", sent, wall, cpu, rejected, growth, allowed, main_thread_cpu=loop_cpu)


async def measure_plain_loop(args: argparse.Namespace, root: str, control: Control) -> Figures:
    """What a user would write: AIORateLimiter, the default transport, one await per chat."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{root}/bot{{token}}")
        .rate_limiter(AIORateLimiter())
        .build()
    )
    bot = application.bot
    chats = range(FIRST_READER, FIRST_READER + min(args.plain_sample, args.readers))
    text_html = "<b>Minister reports in Geneva</b>\n\nThe delegation presented the report."
    async with application:
        before = await control.rejected_429()
        sent = 0
        cpu = wall = loop_cpu = 0.0

        async def loop() -> None:
            nonlocal sent, cpu, wall, loop_cpu
            cpu0, wall0, loop0 = time.process_time(), time.perf_counter(), time.thread_time()
            async with profiled(args.profile_plain):
                for chat_id in chats:
                    await bot.send_message(
                        chat_id,
                        text_html,
                        parse_mode=ParseMode.HTML,
                        allow_paid_broadcast=True if args.paid else None,
                    )
                    sent += 1
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            loop_cpu = time.thread_time() - loop0

        growth = await rss_peak(loop)
        rejected = await control.rejected_429() - before
    allowed = allowed_rate(args.rate, paid_broadcast=args.paid)
    return Figures(
        "plain loop", sent, wall, cpu, rejected, growth, allowed, main_thread_cpu=loop_cpu
    )


async def main_async(args: argparse.Namespace) -> list[Figures]:
    paid_limit = 1000.0
    with emulator_process(args.latency, paid_limit, no_gc=args.emulator_no_gc) as (root, pid):
        async with aiohttp.ClientSession() as session:
            control = Control(root, session)
            started = time.perf_counter()
            await control.add_users(FIRST_READER, args.readers)
            print(
                f"emulator   {args.readers} users in {time.perf_counter() - started:.1f}s",
                file=sys.stderr,
            )
            emulator0 = cpu_of(pid)
            results = [await measure_worker(args, root, control)]
            results[0].emulator_cpu = cpu_of(pid) - emulator0
            if args.plain_sample > 0:
                # Let the per-chat windows of the first run expire before the same chats again.
                await asyncio.sleep(1.5)
                emulator0 = cpu_of(pid)
                results.append(await measure_plain_loop(args, root, control))
                results[1].emulator_cpu = cpu_of(pid) - emulator0
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Delivery benchmark against the emulator")
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1, help="emulator round trip, seconds")
    parser.add_argument("--rate", type=float, default=30.0, help="delivery.rate")
    parser.add_argument("--paid", action="store_true", help="delivery.paid_broadcast = true")
    parser.add_argument("--plain-sample", type=int, default=200, help="messages for the plain loop")
    parser.add_argument("--db-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--profile", default=None, help="write a cProfile of the worker's drain")
    parser.add_argument("--profile-plain", default=None, help="write a cProfile of the plain loop")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--emulator-no-gc", action="store_true", help="run the emulator with its GC disabled"
    )
    add_loop_option(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run, loop = loop_runner(args.loop)
    results = run(main_async(args))
    mode = "paid" if args.paid else "free"
    print(
        f"readers={args.readers} latency={args.latency}s rate={args.rate} mode={mode} loop={loop}"
    )
    for figures in results:
        if args.json:
            print(json.dumps({**vars(figures), "rate": figures.rate}))
        else:
            print(figures.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
