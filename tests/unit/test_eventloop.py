"""newsbot's event loop: uvloop where it has wheels, and the tests run on the same one."""

from __future__ import annotations

import asyncio
import sys

from bot import eventloop


def test_uvloop_is_the_loop_wherever_it_is_a_dependency() -> None:
    # pyproject.toml installs it everywhere but Windows: missing, a broadcast
    # would quietly cost up to a fifth more CPU per message.
    assert eventloop.name() == ("asyncio" if sys.platform == "win32" else "uvloop")


async def test_async_tests_run_on_the_loop_the_product_runs_on() -> None:
    made = eventloop.new_event_loop()
    try:
        assert type(asyncio.get_running_loop()) is type(made)
    finally:
        made.close()


def test_run_runs_a_coroutine_to_its_result_on_that_loop() -> None:
    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert eventloop.run(which()).split(".")[0] == eventloop.name()
