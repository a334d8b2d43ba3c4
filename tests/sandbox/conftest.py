"""Fixtures: a running emulator, a real PTB Bot pointed at it, and a feed server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer

CHANNEL = -1001234567890
READER = 1001


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns when RetryAfter.retry_after is read as int; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        emulator.add_user(READER, first_name="Aigerim")
        emulator.add_channel(CHANNEL, username="@dala_news", title="Dala News")
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url
    ) as ptb_bot:
        yield ptb_bot


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server
