"""Flood limits: sliding windows per chat, per group and overall, answered with 429."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import telegram
from telegram.error import RetryAfter

from bot.sandbox.emulator import BotApiEmulator, TelegramLimits
from bot.sandbox.limits import FloodControl
from tests.sandbox.conftest import CHANNEL, READER


def test_private_chat_allows_one_message_a_second() -> None:
    flood = FloodControl(TelegramLimits())
    assert flood.check(1, True, False, now=100.0) is None
    assert flood.check(1, True, False, now=100.5) == 1
    assert flood.check(2, True, False, now=100.5) is None  # another chat is independent
    assert flood.check(1, True, False, now=101.01) is None


def test_group_allows_twenty_a_minute_and_says_how_long_to_wait() -> None:
    flood = FloodControl(TelegramLimits(global_per_second=1000))
    for i in range(20):
        assert flood.check(-5, False, False, now=float(i)) is None
    assert flood.check(-5, False, False, now=30.0) == 30
    assert flood.check(-5, False, False, now=60.5) is None


def test_global_limit_and_paid_broadcasts() -> None:
    flood = FloodControl(TelegramLimits(global_per_second=3, paid_per_second=5))
    assert [flood.check(i, True, False, now=0.0) for i in range(4)] == [None, None, None, 1]
    paid = [flood.check(100 + i, True, True, now=0.0) for i in range(6)]
    assert paid == [None] * 5 + [1]


def test_rejected_messages_do_not_use_up_the_window() -> None:
    flood = FloodControl(TelegramLimits(global_per_second=1))
    assert flood.check(1, True, False, now=0.0) is None
    for _ in range(5):
        assert flood.check(2, True, False, now=0.5) == 1
    assert flood.check(2, True, False, now=1.0) is None


def test_peak_per_second_is_the_most_accepted_within_any_second() -> None:
    flood = FloodControl(TelegramLimits(global_per_second=3, paid_per_second=5))
    for moment in (0.0, 0.4, 0.9, 1.5, 1.6):
        assert flood.check(1000 + int(10 * moment), True, False, now=moment) is None
    assert flood.check(1, True, False, now=1.7) == 1  # rejected: not counted
    assert flood.peak_per_second == 3  # 0.0, 0.4, 0.9 (and 0.9, 1.5, 1.6)
    for i in range(4):
        assert flood.check(2000 + i, True, True, now=5.0) is None
    assert flood.peak_per_second == 4


async def test_bot_over_the_limit_gets_retry_after(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.limits = TelegramLimits(retry_after=3)
    await bot.send_message(READER, "first")
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(READER, "second")
    assert err.value.retry_after == dt.timedelta(seconds=3)
    assert emu.rejected_429 == 1
    assert [m.text for m in emu.messages(READER)] == ["first"]
    for i in range(20):
        await bot.send_message(CHANNEL, f"post {i}", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(CHANNEL, "one too many for a channel")
    emu.limits = None
    await bot.send_message(CHANNEL, "unlimited again")


def test_private_burst_allows_a_few_at_once_but_keeps_the_average() -> None:
    flood = FloodControl(TelegramLimits(private_burst=3))
    assert [flood.check(1, True, False, now=0.0) for _ in range(4)] == [None, None, None, 3]
    assert flood.check(1, True, False, now=3.0) is None


async def test_a_message_counts_when_it_arrives_however_long_the_emulator_takes(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    # Telegram counts a message when it gets it. The first one here is held 0.6 s
    # inside the emulator before it is handled; the second arrives 1.1 s after the
    # first, so the private chat's one-a-second limit lets it through.
    emu.limits = TelegramLimits()
    emu.delay_next("sendMessage", 0.6)
    slow = asyncio.create_task(bot.send_message(READER, "first"))
    await asyncio.sleep(1.1)
    await bot.send_message(READER, "second")
    await slow
    assert emu.rejected_429 == 0
    assert [m.text for m in emu.messages(READER)] == ["first", "second"]


async def test_what_arrives_during_a_stall_is_counted_when_it_ends(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    # Two a second overall. The first message arrives during a 0.4 s stall and
    # is counted at its end; 1.1 s after it was sent, that second still holds it.
    # (The others go to a channel: only the overall limit can refuse them.)
    emu.limits = TelegramLimits(global_per_second=2)
    emu.stall(0.4)
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    await bot.send_message(READER, "held")
    assert loop.time() - sent_at >= 0.4  # answered after the stall, too
    await asyncio.sleep(sent_at + 1.1 - loop.time())
    await bot.send_message(CHANNEL, "second")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHANNEL, "third")  # would fit, had "held" counted when it was sent
    assert [m.text for m in emu.messages(READER)] == ["held"]
    assert [m.text for m in emu.messages(CHANNEL)] == ["second"]
