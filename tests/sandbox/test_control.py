"""The /_sandbox control API and the command line, for a bot running in another process."""

from __future__ import annotations

import asyncio
import sys

import httpx
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
        try:
            await bot.send_message(-70, "x")
            raise AssertionError("expected the injected 500")
        except telegram.error.NetworkError:
            pass
        listed = (await control.get("/_sandbox/messages", params={"chat_id": 55})).json()
        assert [m["text"] for m in listed["result"]] == ["Сәлем!"]
        stats = (await control.get("/_sandbox/stats")).json()["result"]
        assert stats["counts"]["sendmessage"] == 3
        assert stats["sent_per_chat"] == {"55": 1, "-1007": 1}
        assert "Сәлем!" in (await control.get("/_sandbox/transcript")).text
        await post("block", user_id=55)
        try:
            await bot.send_message(55, "x")
            raise AssertionError("expected Forbidden")
        except telegram.error.Forbidden:
            pass
        bad = await control.post("/_sandbox/press", json={"user_id": 55})
        assert bad.status_code == 400
        await post("reset")
        assert emu.chats_with_messages() == []
        assert emu.latency == 0.01  # settings survive a reset


async def test_command_line_prints_api_root_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox.emulator", "--port", "0", "--limits",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
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
