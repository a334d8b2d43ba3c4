"""``BotApi``: every Bot API method the emulator serves, put together.

The small methods live here too: getMe, logOut, close, answerCallbackQuery,
chat info and members, getFile and the bot's command lists.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.api.editing import Editing
from bot.sandbox.api.polling import Polling
from bot.sandbox.api.sending import Sending
from bot.sandbox.api.webhooks import Webhooks
from bot.sandbox.errors import ApiError
from bot.sandbox.model import Chat, member_json
from bot.sandbox.params import Params
from bot.sandbox.world.outbox import scope_key

__all__ = ["BotApi"]

_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


class BotApi(Sending, Editing, Polling, Webhooks):
    """The world plus the Bot API methods the bot calls on it."""

    async def _m_getMe(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_logOut(self, params: Params) -> bool:
        return True

    async def _m_close(self, params: Params) -> bool:
        return True

    async def _m_answerCallbackQuery(self, params: Params) -> bool:
        query_id = params.text("callback_query_id", required=True)
        assert query_id is not None
        if self._callbacks.pop(query_id, None) is None:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": params.flag("show_alert"),
                "url": params.text("url"),
            }
        )
        return True

    async def _m_getChat(self, params: Params) -> dict[str, Any]:
        chat = self._resolve(params)
        # A private channel the bot isn't in is invisible to it.
        if chat.type == "channel" and chat.bot_status in ("left", "kicked") and not chat.username:
            raise ApiError.bad_request("chat not found")
        return chat.full_info()

    def _member_status(self, chat: Chat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            status = "member" if chat.type == "private" else chat.bot_status
            if chat.type == "private" and chat.blocked:
                status = "kicked"
            return member_json(
                self.bot_user,
                status,
                can_post_messages=chat.can_post_messages,
                channel=chat.type == "channel",
            )
        user = self._users.get(user_id)
        if user is None:
            raise ApiError.bad_request("user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return member_json(user, status, channel=chat.type == "channel")

    async def _m_getChatMember(self, params: Params) -> dict[str, Any]:
        chat = self._resolve(params)
        user_id = params.integer("user_id", required=True)
        assert user_id is not None
        return self._member_status(chat, user_id)

    async def _m_getChatAdministrators(self, params: Params) -> list[dict[str, Any]]:
        chat = self._resolve(params)
        if chat.type == "private":
            raise ApiError.bad_request("there are no administrators in the private chat")
        if chat.type == "channel" and chat.bot_status not in ("administrator", "creator"):
            raise ApiError.bad_request("member list is inaccessible")
        admins = [
            self._member_status(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator") and user_id in self._users
        ]
        if chat.bot_status in ("administrator", "creator"):
            admins.append(self._member_status(chat, self.bot_id))
        return admins

    async def _m_getChatMemberCount(self, params: Params) -> int:
        chat = self._resolve(params)
        return 2 if chat.type == "private" else 1 + len(chat.members)

    async def _m_getFile(self, params: Params) -> dict[str, Any]:
        file_id = params.text("file_id", required=True)
        assert file_id is not None
        stored = self.files.get(file_id)
        if stored is None:
            raise ApiError.bad_request("invalid file_id")
        return stored.file()

    async def _m_setMyCommands(self, params: Params) -> bool:
        commands = params.parsed("commands")
        if not isinstance(commands, list):
            raise ApiError.bad_request("commands is empty")
        if len(commands) > 100:
            raise ApiError.bad_request("too many commands specified")
        clean = []
        for item in commands:
            if not isinstance(item, dict):
                raise ApiError.bad_request("can't parse BotCommand")
            command = str(item.get("command", "")).lstrip("/")
            description = str(item.get("description", ""))
            if not _COMMAND_NAME.match(command):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError.bad_request("command description is empty")
            clean.append({"command": command, "description": description})
        key = (scope_key(params.parsed("scope")), params.text("language_code") or "")
        self._commands[key] = clean
        return True

    async def _m_deleteMyCommands(self, params: Params) -> bool:
        key = (scope_key(params.parsed("scope")), params.text("language_code") or "")
        self._commands.pop(key, None)
        return True

    async def _m_getMyCommands(self, params: Params) -> list[dict[str, str]]:
        key = (scope_key(params.parsed("scope")), params.text("language_code") or "")
        return list(self._commands.get(key, []))
