"""Run one DeliveryWorker as its own process: ``python -m bench.run_worker``.

Used by the crash and multi-process tests and by the benchmark, so that a
worker can be killed (``kill -9``), stopped (SIGTERM) or measured alone. It
recovers what a previous run of the same ``--worker-id`` left in flight, then
drains the queue (``--mode drain``) or runs until SIGTERM (``--mode run``), and
prints one JSON line: {"recovered": n, "sent": n, ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import signal
import socket
import sys
import time
from typing import Any

from telegram import Bot

from bot import eventloop
from bot.delivery.transport import make_request
from bot.delivery.worker import DeliveryWorker
from bot.feeds.fetcher import Fetcher
from config.settings import DeliverySettings, PollingSettings, Settings
from storage import db


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--api-url", required=True, help="the emulator's root, NEWSBOT_API_URL")
    parser.add_argument("--token", default="123456:TEST-token-abcdefghij")
    parser.add_argument(
        "--worker-id", default=None, help="default host:pid, like newsbot run (bot.app.worker_id)"
    )
    parser.add_argument("--mode", choices=("drain", "run"), default="drain")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--paid", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--backoff-base", type=float, default=0.05)
    parser.add_argument("--backoff-max", type=float, default=0.5)
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(
        api_url=args.api_url,
        database_url=args.db_url,
        delivery=DeliverySettings(
            rate=args.rate,
            paid_broadcast=args.paid,
            backoff_base=args.backoff_base,
            backoff_max=max(args.backoff_max, args.backoff_base),
        ),
    )
    engine = db.create_engine(args.db_url)
    bot = Bot(
        args.token,
        base_url=f"{args.api_url}/bot{{token}}",
        base_file_url=f"{args.api_url}/file/bot{{token}}",
        request=make_request(settings),
    )
    fetcher = Fetcher(PollingSettings(), allow_private=True)
    await bot.initialize()
    worker_id = args.worker_id or f"{socket.gethostname()}:{os.getpid()}"
    worker = DeliveryWorker(bot, db.session_factory(engine), settings, fetcher, worker_id=worker_id)
    report: dict[str, Any] = {"worker_id": worker_id}
    try:
        report["recovered"] = await worker.recover()
        print(json.dumps({"ready": True}), flush=True)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if args.mode == "drain":
            drained = await worker.drain(timeout=args.timeout)
            report.update(vars(drained))
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, stop.set)
            loop.add_signal_handler(signal.SIGINT, stop.set)
            await worker.run(stop)
        report.update(vars(worker.stats))
        report["cpu_seconds"] = time.process_time() - cpu0
        report["wall_seconds"] = time.perf_counter() - wall0
        report["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        await fetcher.aclose()
        await bot.shutdown()
        await engine.dispose()
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr)
    print(json.dumps(eventloop.run(main_async(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
