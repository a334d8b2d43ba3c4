"""The emulator delivers updates by webhook as Telegram does: POSTed with the secret token,
kept and pushed again until the bot answers 2xx, and getUpdates refused meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import telegram
from aiohttp import web

from bot.sandbox.api.webhooks import SECRET_HEADER
from bot.sandbox.emulator import BotApiEmulator
from tests.sandbox.conftest import READER

HOOK = "https://news.example.kz/telegram/hook?x=1"


@dataclass
class Receiver:
    """A stand-in for the bot's webhook: records what arrives, answers ``status``."""

    status: int = 200
    received: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    origin: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append((request.path_qs, request.headers.get(SECRET_HEADER), body))
        return web.Response(status=self.status)


@pytest.fixture
async def receiver(emu: BotApiEmulator) -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    emu.route_webhooks(found.origin)
    yield found
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret_token(
    emu: BotApiEmulator, bot: telegram.Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(HOOK, secret_token="s3cret_-token", allowed_updates=["message"])
    emu.send_text(READER, "/start")
    await emu.wait_until(lambda: len(emu.pushes) == 1)
    path, secret, update = receiver.received[0]
    assert path == "/telegram/hook?x=1"
    assert secret == "s3cret_-token"
    assert update["message"]["text"] == "/start"
    assert update["update_id"] == 1
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (HOOK, 0)
    assert info.allowed_updates == ("message",)


async def test_get_updates_conflicts_while_a_webhook_is_set(
    emu: BotApiEmulator, bot: telegram.Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(HOOK)
    with pytest.raises(telegram.error.Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)


async def test_a_refused_update_stays_queued_and_is_pushed_again(
    emu: BotApiEmulator, bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.status = 403
    await bot.set_webhook(HOOK, secret_token="right")
    emu.send_text(READER, "hello")
    await emu.wait_until(lambda: len(emu.pushes) >= 1)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 403"
    receiver.status = 200
    await emu.wait_until(lambda: emu.pushes[-1].status == 200)
    assert {push.status for push in emu.pushes[:-1]} == {403}
    assert {body["update_id"] for _path, _secret, body in receiver.received} == {1}
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_updates_are_pushed_in_order_one_at_a_time(
    emu: BotApiEmulator, bot: telegram.Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(HOOK)
    for text in ("one", "two", "three"):
        emu.send_text(READER, text)
    await emu.wait_until(lambda: len(receiver.received) == 3)
    assert [body["message"]["text"] for _p, _s, body in receiver.received] == [
        "one",
        "two",
        "three",
    ]


async def test_after_delete_webhook_updates_wait_for_get_updates(
    emu: BotApiEmulator, bot: telegram.Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(HOOK)
    await bot.delete_webhook()
    emu.send_text(READER, "polled")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["polled"]
    assert receiver.received == []


async def test_a_secret_token_with_other_characters_is_refused(bot: telegram.Bot) -> None:
    with pytest.raises(telegram.error.BadRequest, match="unallowed characters"):
        await bot.set_webhook(HOOK, secret_token="not allowed!")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)https url"):
        await bot.set_webhook("http://news.example.kz/hook")
