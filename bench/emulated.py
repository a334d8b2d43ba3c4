"""The Bot API emulator as the benchmark runs it: its own process, and its control API."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from bot import eventloop

TOKEN = "123456:TEST-token-abcdefghij"


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def add_loop_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--loop",
        choices=("product", "asyncio"),
        default="product",
        help="the bot's event loop: newsbot's own (bot/eventloop.py) or asyncio's",
    )


def loop_runner(choice: str) -> tuple[Callable[[Coroutine[Any, Any, Any]], Any], str]:
    """How to run the bench's coroutine on the ``--loop`` chosen, and that loop's name."""
    if choice == "product":
        return eventloop.run, eventloop.name()
    return asyncio.run, "asyncio"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def emulator_process(latency: float, paid_limit: float, *, no_gc: bool = False) -> Any:
    port = free_port()
    # --emulator-no-gc: the emulator keeps every message it was sent, and with
    # 100,000 of them its garbage collector pauses long enough to bunch arrivals
    # (a diagnosis switch: Telegram has no such pauses to speak of).
    start = (
        ["-c", "import gc, runpy; gc.disable(); "
         "runpy.run_module('bot.sandbox.emulator', run_name='__main__')"]
        if no_gc
        else ["-m", "bot.sandbox.emulator"]
    )  # fmt: skip
    command = [
        sys.executable,
        *start,
        "--port",
        str(port),
        "--latency",
        str(latency),
        "--limits",
        "--paid-limit",
        str(paid_limit),
        "--token",
        TOKEN,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        root = process.stdout.readline().strip()
        yield root, process.pid
    finally:
        process.terminate()
        process.wait(10)


class Control:
    """The emulator's /_sandbox/ control API."""

    def __init__(self, root: str, session: aiohttp.ClientSession) -> None:
        self.root = root
        self.session = session

    async def post(self, name: str, body: dict[str, Any]) -> Any:
        async with self.session.post(f"{self.root}/_sandbox/{name}", json=body) as response:
            answer = await response.json()
            if not answer.get("ok"):
                raise RuntimeError(f"{name}: {answer}")
            return answer["result"]

    async def rejected_429(self) -> int:
        return int((await self.stats())["rejected_429"])

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(f"{self.root}/_sandbox/stats") as response:
            return dict((await response.json())["result"])

    async def add_users(self, first: int, count: int) -> None:
        queue = iter(range(first, first + count))

        async def adder() -> None:
            for user_id in queue:
                await self.post("users", {"user_id": user_id})

        await asyncio.gather(*(adder() for _ in range(32)))
