"""The floor under the delivery benchmark: paced sends through the lean client and nothing else.

    python -m bench.floor --messages 10000 --loop product
    python -m bench.floor --messages 10000 --loop asyncio

One task per message, as the worker has, sends a body encoded beforehand
through ``KeepAliveClient`` to the Bot API emulator (its own process, Telegram's
limits on) at the paid pace; no database, no limiter, no PTB. Its CPU per
message is what the event loop, the sockets and the client cost: what is left
to take out of ``bench.delivery``'s figure is the difference between the two.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

import aiohttp

from bench.emulated import TOKEN, Control, add_loop_option, emulator_process, loop_runner
from bot.delivery.keepalive import KeepAliveClient

FIRST_READER = 10_000_000
REST = (
    b'"text": "Minister reports to the UN Human Rights Council in Geneva", '
    b'"parse_mode": "HTML", "disable_notification": true, "allow_paid_broadcast": true}'
)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(messages: int, rate: float, latency: float) -> tuple[float, float, int]:
    """Messages per second, CPU milliseconds per message, and the answers that were not 200.

    With no limiter, arrivals that bunch may meet a 429: counted, not retried
    (its answer costs the same as a success).
    """
    with emulator_process(latency, 1000.0) as (root, _pid):
        async with aiohttp.ClientSession() as session:
            await Control(root, session).add_users(FIRST_READER, messages)
        client = KeepAliveClient(limit=256, user_agent="bench-floor")
        url = f"{root}/bot{TOKEN}/sendMessage"
        refused = 0

        async def send(reader: int) -> None:
            nonlocal refused
            body = b'{"chat_id": %d, ' % reader + REST
            status, _ = await client.post_json(url, body, connect_timeout=5, read_timeout=5)
            refused += status != 200

        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Task[None]] = []
        cpu, wall = cpu_seconds(), time.perf_counter()
        start = loop.time()
        for n in range(messages):
            wait = start + n / rate - loop.time()
            # Turns due within 2 ms go at once (the worker grants up to TIMER_SLACK, 5 ms,
            # early; the figures in bench/RESULTS.md were measured with 2 ms here).
            if wait > 0.002:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(send(FIRST_READER + n)))
        await asyncio.gather(*tasks)
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        client.close()
    return messages / wall, 1000 * cpu / messages, refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=975.0, help="the worker's paid pace")
    parser.add_argument("--latency", type=float, default=0.1, help="emulator round trip, s")
    add_loop_option(parser)
    args = parser.parse_args(argv)
    run, loop = loop_runner(args.loop)
    rate, cpu, refused = run(measure(args.messages, args.rate, args.latency))
    print(
        f"floor loop={loop} messages={args.messages} rate={rate:.1f}/s "
        f"cpu/msg={cpu:.3f}ms not_200={refused}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
