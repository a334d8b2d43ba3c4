"""What the bot sent: messages as Telegram's JSON, the transcript, and waits on them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from bot.sandbox.model import SentMessage
from bot.sandbox.transcript import format_transcript
from bot.sandbox.world.state import WorldState

__all__ = ["Outbox", "scope_key"]


class Outbox(WorldState):
    """The bot's messages and commands, read back by tests and answered to the bot."""

    def _message_exists(self, chat_id: int, message_id: int) -> bool:
        sent = self._sent.get(chat_id, {}).get(message_id)
        return (sent is not None and not sent.deleted) or (chat_id, message_id) in self._incoming

    def _reply_json(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        incoming = self._incoming.get((chat_id, message_id))
        if incoming is not None:
            return incoming
        sent = self._sent.get(chat_id, {}).get(message_id)
        return self._message_json(sent, with_reply=False) if sent is not None else None

    def _message_json(self, msg: SentMessage, *, with_reply: bool = True) -> dict[str, Any]:
        chat = self._chats.get(msg.chat_id)
        chat_json = (
            chat.json() if chat else {"id": msg.chat_id, "type": "private", "first_name": ""}
        )
        data: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date, "chat": chat_json}
        if chat is not None and chat.type == "channel":
            data["sender_chat"] = chat_json
        else:
            data["from"] = self.bot_user
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if msg.kind == "text":
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
            if msg.link_preview_options:
                data["link_preview_options"] = msg.link_preview_options
        else:
            if msg.kind == "photo" and msg.photo is not None:
                data["photo"] = msg.photo["sizes"]
            elif msg.document is not None:
                data["document"] = msg.document
            if msg.text:
                data["caption"] = msg.text
            if msg.entities:
                data["caption_entities"] = msg.entities
            if msg.show_caption_above_media:
                data["show_caption_above_media"] = True
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if msg.protect_content:
            data["has_protected_content"] = True
        if with_reply and msg.reply_to_message_id is not None:
            replied = self._reply_json(msg.chat_id, msg.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = replied
        return data

    def messages(self, chat_id: int, include_deleted: bool = False) -> list[SentMessage]:
        """What the bot sent to the chat, in order."""
        return [
            msg
            for msg in self._sent.get(chat_id, {}).values()
            if include_deleted or not msg.deleted
        ]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        return self._sent[chat_id][message_id]

    def chats_with_messages(self) -> list[int]:
        return [chat_id for chat_id, sent in self._sent.items() if sent]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        return list(self._commands.get((scope_key(scope), language_code), []))

    def transcript(self) -> str:
        return format_transcript(
            [
                (self._chats.get(chat_id), chat_id, self.messages(chat_id))
                for chat_id in self.chats_with_messages()
            ]
        )

    def _progress(self) -> str:
        """What happened so far, for a timeout's message."""
        sent = {chat_id: len(self.messages(chat_id)) for chat_id in self.chats_with_messages()}
        return f"messages sent so far per chat: {sent}"

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline, not I/O
    ) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                name = getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(
                    f"condition {name} not met within {timeout}s; {self._progress()}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline, not I/O
    ) -> list[SentMessage]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages(chat_id)) < count:
            if asyncio.get_running_loop().time() > deadline:
                got = self.messages(chat_id)
                raise AssertionError(
                    f"expected {count} message(s) in chat {chat_id} within {timeout}s, got "
                    f"{len(got)}: {[m.text[:60] for m in got]}; {self._progress()}"
                )
            await asyncio.sleep(0.01)
        return self.messages(chat_id)


def scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or scope.get("type", "default") == "default":
        return "default"
    return json.dumps(scope, sort_keys=True)
