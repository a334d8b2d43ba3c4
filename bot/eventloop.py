"""The event loop newsbot runs on: uvloop where it is installed, else asyncio's own.

A broadcast is thousands of small requests a second, and most of the bot's CPU
per message went to the event loop and its system calls: with uvloop the same
sends cost about a third less (bench/RESULTS.md). uvloop is a dependency
wherever it has wheels (Linux, macOS); elsewhere asyncio's loop does the same
work, slower. The tests run on this loop too, so what is tested is what runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # no wheel for this platform (Windows)
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def name() -> str:
    """Which loop ``new_event_loop`` makes: "uvloop" or "asyncio"."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on newsbot's loop."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)
