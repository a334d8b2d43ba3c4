"""Webhook mode from the outside: the emulator pushes a reader's /start to the bot's webhook
(through the TLS proxy it stands in for), the bot answers, and a request with a wrong
secret token is refused without reaching the handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bot.app import ALLOWED_UPDATES
from tests.harness import TOKEN, RunningBot, running_bot
from tests.integration.test_cli import newsbot

READER = 7001
INTRUDER = 7002
HOOK = "https://news.example.kz/telegram/hook"
TOKEN_ENV = {"TELEGRAM_BOT_TOKEN": TOKEN}


def webhook_settings(**extra: Any) -> dict[str, Any]:
    return {"telegram": {"webhook_url": HOOK, "webhook_listen": "127.0.0.1:0", **extra}}


def behind_proxy(bot: RunningBot) -> str:
    """Route the emulator's pushes to the bot's listener; return the webhook's local URL."""
    assert bot.newsbot.webhook is not None
    origin = bot.newsbot.webhook.listener.origin
    bot.emulator.route_webhooks(origin)
    return f"{origin}/telegram/hook"


def start_update(update_id: int, user_id: int) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Eve", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private", "first_name": "Eve"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_a_readers_start_arrives_by_webhook_and_is_answered(
    emulator: Any, db_url: str
) -> None:
    emulator.add_user(READER, "Aigerim", "en")
    async with running_bot(emulator, db_url, **webhook_settings()) as bot:
        behind_proxy(bot)
        emulator.send_text(READER, "/start")
        welcome = await emulator.wait_for_messages(READER, 1, timeout=10)
        assert welcome[0].text.startswith("Hello! I send the news here")
        assert emulator.count("getUpdates") == 0
        assert [push.status for push in emulator.pushes] == [200]
        info = await bot.newsbot.application.bot.get_webhook_info()
        assert info.url == HOOK
        assert set(info.allowed_updates) == set(ALLOWED_UPDATES)


async def test_a_request_without_the_secret_token_is_refused(emulator: Any, db_url: str) -> None:
    emulator.add_user(READER, "Aigerim", "en")
    emulator.add_user(INTRUDER, "Eve", "en")
    settings = webhook_settings(webhook_secret="configured-secret_1")
    async with running_bot(emulator, db_url, **settings) as bot:
        url = behind_proxy(bot)
        async with httpx.AsyncClient() as client:
            wrong = await client.post(
                url,
                json=start_update(900, INTRUDER),
                headers={"X-Telegram-Bot-Api-Secret-Token": "guessed"},
            )
            missing = await client.post(url, json=start_update(901, INTRUDER))
        assert (wrong.status_code, missing.status_code) == (403, 403)
        # Updates are handled in order: once the reader is answered, a refused
        # request that had got in would have been answered too.
        emulator.send_text(READER, "/start")
        await emulator.wait_for_messages(READER, 1, timeout=10)
        assert emulator.messages(INTRUDER) == []
        set_webhook = [params for method, params in emulator.requests if method == "setWebhook"]
        assert set_webhook[-1]["secret_token"] == "configured-secret_1"


async def test_without_a_configured_secret_one_is_generated_and_sent_to_telegram(
    emulator: Any, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **webhook_settings()) as bot:
        url = behind_proxy(bot)
        set_webhook = [params for method, params in emulator.requests if method == "setWebhook"]
        secret = set_webhook[-1]["secret_token"]
        assert len(secret) >= 32
        async with httpx.AsyncClient() as client:
            accepted = await client.post(
                url,
                json=start_update(902, INTRUDER),
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
            malformed = await client.post(
                url, content=b"not json", headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            )
        assert accepted.status_code == 200
        assert malformed.status_code == 400


def test_run_with_a_plain_http_webhook_exits_2_naming_the_option(tmp_path: Path) -> None:
    result = newsbot(tmp_path, "run", "--webhook", "http://news.example.kz/hook", **TOKEN_ENV)
    assert result.returncode == 2
    assert result.stderr.startswith("newsbot: --webhook: ")
    assert "https://" in result.stderr
