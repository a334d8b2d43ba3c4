"""The stores of one bot's world, its clock, and the queue of updates Telegram delivers.

Every other layer of the world (chats, the outbox, what users do) works on
these stores; only this one creates updates.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from bot.sandbox.media import FileStore
from bot.sandbox.model import Chat, SentMessage

__all__ = ["DEFAULT_UPDATES", "WorldState"]

# Updates delivered when allowed_updates is empty (telegram.md A8).
DEFAULT_UPDATES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
     "my_chat_member", "inline_query", "chosen_inline_result", "shipping_query",
     "pre_checkout_query", "poll", "poll_answer", "chat_join_request"}
)  # fmt: skip


class WorldState:
    """Users, chats, messages and pending updates of one bot; the clock."""

    def __init__(self, token: str, bot_username: str) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Newsbot",
            "username": bot_username,
        }
        self._reset()

    def _reset(self) -> None:
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, Chat] = {}
        self._usernames: dict[str, int] = {}
        self._sent: dict[int, dict[int, SentMessage]] = {}
        self._incoming: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATES
        self._wakeup = asyncio.Event()
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._callback_serial = 0
        self.callback_answers: list[dict[str, Any]] = []
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.files = FileStore()
        self.clock_offset = 0.0

    # ------------------------------------------------------------------ clock

    def now(self) -> float:
        """The emulator's clock (wall clock plus ``clock_offset``)."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        self.clock_offset += seconds

    def age_message(self, chat_id: int, message_id: int, hours: float) -> None:
        """Make a sent message ``hours`` older (to test the 48-hour deletion rule)."""
        msg = self._sent.get(chat_id, {}).get(message_id)
        if msg is not None:
            msg.date -= int(hours * 3600)
            return
        incoming = self._incoming.get((chat_id, message_id))
        if incoming is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        incoming["date"] -= int(hours * 3600)

    # ------------------------------------------------------------------ lookups

    def _add_chat(self, chat: Chat) -> None:
        self._chats[chat.id] = chat
        if chat.username:
            self._usernames[chat.username.lower()] = chat.id

    def _chat(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"the emulator knows no chat {chat_id}")
        return chat

    def _user(self, user_id: int) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            raise KeyError(f"the emulator knows no user {user_id}; call add_user() first")
        return user

    # ------------------------------------------------------------------ updates to the bot

    def _queue(self, kind: str, payload: dict[str, Any]) -> None:
        # Telegram doesn't create updates of types the bot's last getUpdates didn't allow;
        # ones created before that call still arrive.
        if kind not in self._allowed_updates:
            return
        self._updates.append({"update_id": self._next_update_id, kind: payload})
        self._next_update_id += 1
        self._wakeup.set()

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        return message_id

    def _queue_message(
        self, chat: Chat, user: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        message = {
            "message_id": self._new_message_id(chat.id),
            "from": user,
            "chat": chat.json(),
            "date": int(self.now()),
            **content,
        }
        self._incoming[(chat.id, message["message_id"])] = message
        if self._bot_sees(chat, content):
            self._queue("message", message)
        return message

    def _bot_sees(self, chat: Chat, content: dict[str, Any]) -> bool:
        """Privacy mode: in a group the bot isn't admin of, it gets commands and mentions only."""
        service = "migrate_to_chat_id" in content or "migrate_from_chat_id" in content
        if chat.type == "private" or service:
            return True
        if chat.bot_status in ("left", "kicked"):
            return False
        if chat.bot_status in ("administrator", "creator"):
            return True
        text = content.get("text") or content.get("caption") or ""
        return text.startswith("/") or f"@{self.bot_username}".lower() in text.lower()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)
