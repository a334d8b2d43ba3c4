"""The event loop newsbot runs on: uvloop where it is installed, else asyncio's own.

A broadcast is thousands of small requests a second, and about 60 % of the
bot's CPU per message was the event loop, the sockets and the HTTP client. On
uvloop that floor costs about 30 % less, and a paid broadcast's CPU per message
fell by up to a sixth (bench/RESULTS.md). uvloop is a dependency wherever it
has wheels (Linux, macOS); elsewhere asyncio's loop does the same work, slower.
The tests run on this loop too, so what is tested is what runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import ModuleType
from typing import Any, TypeVar

uvloop: ModuleType | None
try:
    import uvloop
except ImportError:  # no wheel for this platform (Windows)
    uvloop = None

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


def name() -> str:
    """Which loop ``new_event_loop`` makes: "uvloop" or "asyncio"."""
    return "uvloop" if uvloop is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on newsbot's loop."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)
