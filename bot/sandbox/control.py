"""``/_sandbox/...`` JSON endpoints: the emulator's Python API over HTTP.

For tests and benchmarks that run the bot (and so the emulator's client) in
another process. Every endpoint answers ``{"ok": true, "result": ...}`` or
``{"ok": false, "description": ...}`` with status 400 on a bad request.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox.api.botapi import BotApi
from bot.sandbox.limits import TelegramLimits

__all__ = ["add_control_routes"]

Action = Callable[["BotApi", dict[str, Any]], Any]


def _limits(value: Any) -> TelegramLimits | None:
    if value is None or value is False:
        return None
    if value is True:
        return TelegramLimits()
    fields = {f.name for f in dataclasses.fields(TelegramLimits)}
    return TelegramLimits(**{k: v for k, v in value.items() if k in fields})


def _settings(emu: BotApi, body: dict[str, Any]) -> dict[str, Any]:
    if "latency" in body:
        emu.latency = float(body["latency"])
    if "limits" in body:
        emu.limits = _limits(body["limits"])
    limits = dataclasses.asdict(emu.limits) if emu.limits else None
    return {"latency": emu.latency, "limits": limits}


def _document(emu: BotApi, body: dict[str, Any]) -> Any:
    return emu.send_document(
        body["user_id"],
        body["filename"],
        base64.b64decode(body["content_base64"]),
        body.get("mime_type", "application/octet-stream"),
        caption=body.get("caption"),
        chat_id=body.get("chat_id"),
    )


_POST: dict[str, Action] = {
    "users": lambda emu, b: emu.add_user(
        b["user_id"],
        first_name=b.get("first_name", "Reader"),
        language_code=b.get("language_code", "en"),
        username=b.get("username"),
        started=b.get("started", True),
    ),
    "channels": lambda emu, b: emu.add_channel(
        b["chat_id"],
        username=b.get("username", "@news"),
        title=b.get("title", "News"),
        bot_status=b.get("bot_status", "administrator"),
        can_post_messages=b.get("can_post_messages", True),
        owner_id=b.get("owner_id"),
    ),
    "groups": lambda emu, b: emu.add_group(
        b["chat_id"],
        title=b.get("title", "Group"),
        supergroup=b.get("supergroup", False),
        bot_status=b.get("bot_status", "member"),
    ),
    "members": lambda emu, b: emu.set_member(b["chat_id"], b["user_id"], b["status"]),
    "bot_status": lambda emu, b: emu.set_bot_status(
        b["chat_id"],
        b["status"],
        can_post_messages=b.get("can_post_messages", True),
        by_user_id=b.get("by_user_id"),
    ),
    "block": lambda emu, b: emu.block(b["user_id"]),
    "unblock": lambda emu, b: emu.unblock(b["user_id"]),
    "deactivate": lambda emu, b: emu.deactivate(b["user_id"]),
    "migrate": lambda emu, b: emu.migrate_group(b["old_id"], b["new_id"]),
    "messages": lambda emu, b: emu.send_text(b["user_id"], b["text"], chat_id=b.get("chat_id")),
    "photos": lambda emu, b: emu.send_photo_message(
        b["user_id"], b.get("caption"), chat_id=b.get("chat_id")
    ),
    "documents": _document,
    "press": lambda emu, b: {
        "callback_query_id": emu.press_button(
            b["user_id"],
            b["chat_id"],
            b["message_id"],
            b["callback_data"],
            strict=b.get("strict", True),
        )
    },
    "faults": lambda emu, b: emu.fail_next(
        b["method"],
        b["error_code"],
        b.get("description", ""),
        chat_id=b.get("chat_id"),
        times=b.get("times", 1),
        retry_after=b.get("retry_after"),
        migrate_to_chat_id=b.get("migrate_to_chat_id"),
    ),
    "delays": lambda emu, b: emu.delay_next(
        b["method"], b["seconds"], chat_id=b.get("chat_id"), times=b.get("times", 1)
    ),
    "disconnects": lambda emu, b: emu.disconnect_next(
        b["method"], chat_id=b.get("chat_id"), times=b.get("times", 1)
    ),
    "age": lambda emu, b: emu.age_message(b["chat_id"], b["message_id"], b["hours"]),
    "clock": lambda emu, b: emu.advance_clock(b["seconds"]),
    "settings": _settings,
    "reset": lambda emu, b: emu.reset(),
}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _post_handler(emu: BotApi, action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"ok": False, "description": "bad JSON"}, status=400)
        try:
            return _ok(action(emu, body))
        except (KeyError, ValueError, TypeError) as err:
            return web.json_response({"ok": False, "description": repr(err)}, status=400)

    return handle


def add_control_routes(app: web.Application, emu: BotApi) -> None:
    """Mount the control API on the emulator's aiohttp application."""
    for name, action in _POST.items():
        app.router.add_post(f"/_sandbox/{name}", _post_handler(emu, action))

    async def messages(request: web.Request) -> web.Response:
        try:
            chat_id = int(request.query["chat_id"])
        except (KeyError, ValueError):
            return web.json_response({"ok": False, "description": "chat_id needed"}, status=400)
        deleted = request.query.get("include_deleted", "") in ("1", "true")
        return _ok([msg.to_dict() for msg in emu.messages(chat_id, include_deleted=deleted)])

    async def stats(request: web.Request) -> web.Response:
        return _ok(emu.stats())

    async def transcript(request: web.Request) -> web.Response:
        return web.Response(text=emu.transcript())

    async def updates(request: web.Request) -> web.Response:
        return _ok(emu.pending_updates)

    async def callback_answers(request: web.Request) -> web.Response:
        return _ok(emu.callback_answers)

    app.router.add_get("/_sandbox/messages", messages)
    app.router.add_get("/_sandbox/stats", stats)
    app.router.add_get("/_sandbox/transcript", transcript)
    app.router.add_get("/_sandbox/updates", updates)
    app.router.add_get("/_sandbox/callback_answers", callback_answers)
