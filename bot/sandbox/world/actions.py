"""``World``: the whole emulated Telegram, and what users do in it.

Users write (a leading /command gets its entity), send photos and files, and
press inline buttons; each queues the update Telegram would deliver.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.entities.text import utf16_len
from bot.sandbox.media import make_image
from bot.sandbox.model import Chat
from bot.sandbox.world.chats import Chats
from bot.sandbox.world.outbox import Outbox

__all__ = ["World"]

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class World(Chats, Outbox):
    """Users, chats and messages of one bot, scriptable from tests."""

    def _user_chat(self, user_id: int, chat_id: int | None) -> tuple[dict[str, Any], Chat]:
        user = self._user(user_id)
        chat = self._chat(chat_id if chat_id is not None else user_id)
        if chat.type == "private":
            chat.started = True  # writing to the bot is what "pressing Start" amounts to
            if chat.blocked:
                self._set_blocked(user_id, False)  # a client unblocks before it can write
        return user, chat

    def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> dict[str, Any]:
        """A user writes to the bot; a leading /command gets a bot_command entity."""
        user, chat = self._user_chat(user_id, chat_id)
        content: dict[str, Any] = {"text": text}
        entities = _command_entities(text)
        if entities:
            content["entities"] = entities
        return self._queue_message(chat, user, content)

    def send_photo_message(
        self, user_id: int, caption: str | None, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A user sends a photo with a caption; its file_id resolves through getFile."""
        user, chat = self._user_chat(user_id, chat_id)
        sizes = self.files.add_photo(make_image(640, 360, color=(120, 60, 20)))
        content: dict[str, Any] = {"photo": [size.photo_size() for size in sizes]}
        if caption:
            content["caption"] = caption
            entities = _command_entities(caption)
            if entities:
                content["caption_entities"] = entities
        return self._queue_message(chat, user, content)

    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a file (e.g. an OPML import); getFile + download work on it."""
        user, chat = self._user_chat(user_id, chat_id)
        stored = self.files.add_document(content, filename, mime_type)
        payload: dict[str, Any] = {"document": stored.document()}
        if caption:
            payload["caption"] = caption
        return self._queue_message(chat, user, payload)

    def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        strict: bool = True,
    ) -> str:
        """A user presses an inline button under a bot message; returns the query id.

        With ``strict`` the button must be on the message as it is now.
        """
        user = self._user(user_id)
        msg = self._sent.get(chat_id, {}).get(message_id)
        if msg is None or msg.deleted:
            raise KeyError(f"no bot message {message_id} in chat {chat_id}")
        if strict and callback_data not in {b.get("callback_data") for b in msg.buttons()}:
            raise ValueError(
                f"message {message_id} in chat {chat_id} has no button with callback_data "
                f"{callback_data!r}; it has {[b.get('callback_data') for b in msg.buttons()]}"
            )
        self._callback_serial += 1
        query_id = f"{self.bot_id}{self._callback_serial:06d}"
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(msg),
            "chat_instance": str(abs(chat_id) * 7 + self.bot_id),
            "data": callback_data,
        }
        self._callbacks[query_id] = query
        self._queue("callback_query", query)
        return query_id


def _command_entities(text: str) -> list[dict[str, Any]]:
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]
