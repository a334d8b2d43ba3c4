"""The /_sandbox control API and the command line, for a bot running in another process."""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest
import telegram

from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator


async def test_control_api_mirrors_the_python_api(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    async with httpx.AsyncClient(base_url=emu.api_root) as control:

        async def post(path: str, **body: object) -> object:
            resp = await control.post(f"/_sandbox/{path}", json=body)
            assert resp.status_code == 200, resp.text
            return resp.json()["result"]

        await post("users", user_id=55, first_name="Dana", language_code="kk")
        await post("channels", chat_id=-1007, username="@kz", title="KZ")
        await post("groups", chat_id=-70, title="Desk")
        await post("settings", latency=0.01, limits={"private_per_second": 5})
        await post("faults", method="sendMessage", error_code=500, chat_id=-70)
        message = await post("messages", user_id=55, text="/start")
        assert isinstance(message, dict) and message["entities"][0]["type"] == "bot_command"
        await bot.send_message(55, "Сәлем!")
        await bot.send_message(-1007, "post")
        with pytest.raises(telegram.error.NetworkError):
            await bot.send_message(-70, "x")
        listed = (await control.get("/_sandbox/messages", params={"chat_id": 55})).json()
        assert [m["text"] for m in listed["result"]] == ["Сәлем!"]
        stats = (await control.get("/_sandbox/stats")).json()["result"]
        assert stats["counts"]["sendMessage"] == 3
        assert stats["sent_per_chat"] == {"55": 1, "-1007": 1}
        assert "Сәлем!" in (await control.get("/_sandbox/transcript")).text
        await post("block", user_id=55)
        with pytest.raises(telegram.error.Forbidden):
            await bot.send_message(55, "x")
        bad = await control.post("/_sandbox/press", json={"user_id": 55})
        assert bad.status_code == 400
        await post("reset")
        assert emu.chats_with_messages() == []
        assert emu.latency == 0.01  # settings survive a reset


async def test_command_line_prints_api_root_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox.emulator",
        "--port",
        "0",
        "--limits",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        api_root = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert api_root.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            me = (await client.get(f"{api_root}/bot{DEFAULT_TOKEN}/getMe")).json()
        assert me["result"]["username"] == "newsbot_test_bot"
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_control_api_scripts_the_rest_of_the_world(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    async with httpx.AsyncClient(base_url=emu.api_root) as control:

        async def post(path: str, **body: object) -> object:
            resp = await control.post(f"/_sandbox/{path}", json=body)
            assert resp.status_code == 200, resp.text
            return resp.json()["result"]

        await post("users", user_id=8, first_name="Editor")
        await post("channels", chat_id=-1008, username="@desk", bot_status="left", owner_id=8)
        await post("bot_status", chat_id=-1008, status="administrator", by_user_id=8)
        await post("groups", chat_id=-80, title="Old group")
        await post("migrate", old_id=-80, new_id=-1080)
        document = await post(
            "documents", user_id=8, filename="feeds.opml", content_base64="PG9wbWwvPg=="
        )
        photo = await post("photos", user_id=8, caption="/breaking Flood in Almaty")
        assert isinstance(document, dict) and isinstance(photo, dict)
        kinds = [
            next(k for k in u if k != "update_id")
            for u in (await control.get("/_sandbox/updates")).json()["result"]
        ]
        assert kinds == ["my_chat_member", "message", "message", "message", "message"]
        file = await bot.get_file(document["document"]["file_id"])
        assert bytes(await file.download_as_bytearray()) == b"<opml/>"

        sent = await bot.send_message(-1008, "post")
        await post("age", chat_id=-1008, message_id=sent.message_id, hours=49)
        with pytest.raises(telegram.error.BadRequest):
            await bot.delete_message(-1008, sent.message_id)
        await post("disconnects", method="sendMessage")
        with pytest.raises(telegram.error.NetworkError):
            await bot.send_message(-1008, "lost")
        await post("members", chat_id=-1008, user_id=8, status="administrator")
        assert {a.user.id for a in await bot.get_chat_administrators(-1008)} == {8, emu.bot_id}


async def test_stats_time_the_first_and_last_message(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    assert emu.stats()["first_sent_at"] is None
    await bot.send_message(-1001234567890, "one")
    await bot.send_message(-1001234567890, "two")
    stats = emu.stats()
    first, second = (m.sent_at for m in emu.messages(-1001234567890))
    assert (stats["first_sent_at"], stats["last_sent_at"]) == (first, second)
