"""Start-up time and resident memory of ``newsbot run`` idle.

    python -m bench.startup --runs 5

Each run starts ``python -m bot run`` as its own process against the Bot API
emulator (served by this process), SQLite in a temporary folder and no feeds,
and measures:

- start-up: from spawning the process to its "newsbot started" log line
  (interpreter, imports, settings, migrations, getMe, first getUpdates);
- rss: resident memory (``VmRSS``) after ``--idle`` seconds of doing nothing;
- peak: the process's peak resident memory so far (``VmHWM``).

Then it sends SIGTERM and checks the process stops with exit 0. Linux only
(figures read from ``/proc``). The median of the runs is printed last.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox.emulator import BotApiEmulator

TOKEN = "100200300:BENCH-token-not-a-real-one"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Run:
    startup: float  # seconds
    rss: float  # MB
    peak: float  # MB


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def one_run(api_root: str, idle: float) -> Run:
    with tempfile.TemporaryDirectory(prefix="newsbot-startup-") as folder:
        (Path(folder) / "newsbot.toml").write_text("", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        env.update(
            PYTHONPATH=str(ROOT),
            TELEGRAM_BOT_TOKEN=TOKEN,
            NEWSBOT_API_URL=api_root,
            NEWSBOT_CONFIG="newsbot.toml",
            NEWSBOT_DATABASE_URL=f"sqlite+aiosqlite:///{folder}/newsbot.db",
        )
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=folder, env=env, stderr=asyncio.subprocess.PIPE
        )
        assert process.stderr is not None
        while b"newsbot started" not in await process.stderr.readline():
            if process.returncode is not None:
                raise SystemExit("newsbot run exited before it started")
        startup = time.perf_counter() - started
        drain = asyncio.create_task(process.stderr.read())  # keep the pipe from filling
        await asyncio.sleep(idle)
        rss, peak = memory(process.pid)
        process.send_signal(signal.SIGTERM)
        code = await process.wait()
        await drain
        if code != 0:
            raise SystemExit(f"newsbot run exited {code} on SIGTERM")
        return Run(startup, rss, peak)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before measuring")
    args = parser.parse_args()
    runs = []
    async with BotApiEmulator(token=TOKEN) as emulator:
        for number in range(1, args.runs + 1):
            run = await one_run(emulator.api_root, args.idle)
            runs.append(run)
            print(
                f"run {number}: start-up {run.startup:.2f} s, "
                f"rss {run.rss:.1f} MB, peak {run.peak:.1f} MB",
                flush=True,
            )
    print(
        f"median of {len(runs)}: start-up {statistics.median(r.startup for r in runs):.2f} s, "
        f"rss {statistics.median(r.rss for r in runs):.1f} MB, "
        f"peak {statistics.median(r.peak for r in runs):.1f} MB; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
