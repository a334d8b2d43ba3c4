"""The aiohttp transport: PTB's errors, and never the token in them."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.delivery.transport import make_request
from bot.sandbox.emulator import BotApiEmulator
from config.settings import Settings

TOKEN = "123456:TEST-token-abcdefghij"


async def test_a_refused_connection_is_a_network_error_without_the_token() -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    bot = Bot(TOKEN, base_url="http://127.0.0.1:9/bot{token}", request=make_request(Settings()))
    async with bot.request:  # initialize / shutdown the transport
        with pytest.raises(NetworkError) as caught:
            await bot.do_api_request("get_Me", return_type=None)
    assert TOKEN not in str(caught.value) and "aiohttp." in str(caught.value)
    assert caught.value.__cause__ is None  # the original, URL and all, is not chained


async def test_answers_and_errors_come_through_as_ptb_maps_them() -> None:
    async with BotApiEmulator(token=TOKEN) as emulator:
        bot = Bot(TOKEN, base_url=emulator.base_url, request=make_request(Settings()))
        async with bot:
            me = await bot.get_me()
            assert me.username == emulator.bot_username
            with pytest.raises(NetworkError, match=r"(?i)chat not found"):
                await bot.send_message(424242, "nobody")
