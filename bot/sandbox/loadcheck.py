"""How many sendMessage calls a second the emulator answers: ``python -m bot.sandbox.loadcheck``.

Starts the emulator in its own process, sends typical post-sized HTML messages
with an inline keyboard from this process over many connections, and prints
the wall-clock rate and the emulator's own CPU time per request (the figure
that says what one core sustains, whatever else the machine is doing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

import aiohttp

from bot.sandbox.emulator import DEFAULT_TOKEN

__all__ = ["main"]

USERS = 100
TEXT = (
    "<b>Title {i}</b>\n\nA summary of a few sentences of the article, as a post carries it. "
    'It goes on for a while. <a href="https://dala.kz/en/news/{i}">Dala News</a>'
)
KEYBOARD = json.dumps({"inline_keyboard": [[{"text": "Read more", "url": "https://dala.kz/x"}]]})


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _send_all(root: str, count: int, concurrency: int) -> float:
    """Send ``count`` messages; returns the seconds it took."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for user in range(USERS):
            await session.post(f"{root}/_sandbox/users", json={"user_id": 1000 + user})
        url = f"{root}/bot{DEFAULT_TOKEN}/sendMessage"
        gate = asyncio.Semaphore(concurrency)

        async def send(i: int) -> None:
            form = {
                "chat_id": str(1000 + i % USERS),
                "text": TEXT.format(i=i),
                "parse_mode": "HTML",
                "reply_markup": KEYBOARD,
            }
            async with gate, session.post(url, data=form) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"sendMessage answered {resp.status}")

        started = time.perf_counter()
        await asyncio.gather(*(send(i) for i in range(count)))
        return time.perf_counter() - started


async def _run(count: int, concurrency: int) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox.emulator", "--port", "0",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        root = (await server.stdout.readline()).decode().strip()
        await _send_all(root, min(count, 1000), concurrency)  # warm-up
        cpu_before = _cpu_seconds(server.pid)
        seconds = await _send_all(root, count, concurrency)
        cpu_after = _cpu_seconds(server.pid)
    finally:
        server.terminate()
        await server.wait()
    print(f"{count} sendMessage in {seconds:.2f} s wall: {count / seconds:.0f}/s")
    if cpu_before is not None and cpu_after is not None:
        cpu = cpu_after - cpu_before
        print(
            f"emulator CPU: {cpu:.2f} s, {1000 * cpu / count:.3f} ms a request, "
            f"so about {count / max(cpu, 1e-9):.0f}/s on one core"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.loadcheck")
    parser.add_argument("-n", "--count", type=int, default=6000)
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.count, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
