"""The checks many Bot API methods share, in Telegram's order and with its error strings.

Which chat a request means, whether the bot may write there, flood limits, and
parsing a text or caption as Telegram would.
"""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.api.switchboard import Switchboard
from bot.sandbox.entities.parser import parse_html
from bot.sandbox.entities.text import EntityParseError, ParsedText, utf16_len
from bot.sandbox.errors import ApiError
from bot.sandbox.model import Chat, SentMessage
from bot.sandbox.params import Params

__all__ = ["MAX_CAPTION", "MAX_TEXT", "Checks"]

MAX_TEXT = 4096
MAX_CAPTION = 1024


class Checks(Switchboard):
    """The switchboard plus the checks its methods share."""

    def _resolve(self, params: Params, name: str = "chat_id") -> Chat:
        ref = params.chat_id(name)
        chat_id = self._usernames.get(ref[1:].lower()) if isinstance(ref, str) else ref
        chat = self._chats.get(chat_id) if chat_id is not None else None
        # @username addresses public channels and supergroups only, never a user.
        if chat is None or (isinstance(ref, str) and chat.type == "private"):
            raise ApiError.bad_request("chat not found")
        return chat

    def _check_can_send(self, chat: Chat) -> None:
        if chat.type == "private":
            if chat.deactivated:
                raise ApiError.forbidden("user is deactivated")
            if chat.blocked:
                raise ApiError.forbidden("bot was blocked by the user")
            if not chat.started:
                raise ApiError.forbidden("bot can't initiate conversation with a user")
            return
        if chat.migrated_to is not None:
            raise ApiError.bad_request(
                "group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        kind = "channel" if chat.type == "channel" else chat.type
        if chat.bot_status == "kicked":
            raise ApiError.forbidden(f"bot was kicked from the {kind} chat")
        if chat.bot_status == "left":
            raise ApiError.forbidden(f"bot is not a member of the {kind} chat")
        if chat.type == "channel":
            if chat.bot_status not in ("administrator", "creator"):
                raise ApiError.forbidden("bot is not a member of the channel chat")
            if not chat.can_post_messages and chat.bot_status != "creator":
                raise ApiError.bad_request("need administrator rights in the channel chat")
        elif chat.bot_status == "restricted":
            raise ApiError.bad_request("not enough rights to send text messages to the chat")

    def _check_flood(self, chat: Chat, params: Params) -> None:
        if self._flood is None:
            return
        arrived = params.arrived_at if params.arrived_at is not None else time.monotonic()
        retry_after = self._flood.check(
            chat.id, chat.type == "private", params.flag("allow_paid_broadcast"), arrived
        )
        if retry_after is not None:
            raise ApiError.too_many_requests(retry_after)

    @staticmethod
    def _parse(text: str, parse_mode: str | None, entities: Any) -> ParsedText:
        if parse_mode and parse_mode.lower() == "html":
            try:
                return parse_html(text)
            except EntityParseError as err:
                raise ApiError.bad_request(f"can't parse entities: {err}") from None
        if parse_mode and parse_mode.lower() not in ("markdown", "markdownv2"):
            raise ApiError.bad_request(f"unsupported parse_mode {parse_mode!r}")
        # Markdown is not emulated: the text is taken as it is.
        return ParsedText(text, list(entities) if isinstance(entities, list) else [])

    def _parse_text(self, params: Params, name: str, *, caption: bool) -> ParsedText:
        raw = params.text(name) or ""
        entities_name = "caption_entities" if caption else "entities"
        parsed = self._parse(raw, params.text("parse_mode"), params.parsed(entities_name)).strip()
        if caption:
            if utf16_len(parsed.text) > MAX_CAPTION:
                raise ApiError.bad_request("message caption is too long")
        else:
            if not parsed.text:
                raise ApiError.bad_request("message text is empty")
            if utf16_len(parsed.text) > MAX_TEXT:
                raise ApiError.bad_request("message is too long")
        return parsed

    def _find_sent(self, chat: Chat, message_id: int, purpose: str) -> SentMessage:
        msg = self._sent.get(chat.id, {}).get(message_id)
        if msg is None or msg.deleted:
            if (chat.id, message_id) in self._incoming and purpose == "edit":
                raise ApiError.bad_request("message can't be edited")
            raise ApiError.bad_request(f"message to {purpose} not found")
        return msg
