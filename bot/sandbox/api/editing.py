"""editMessageText, editMessageCaption, editMessageMedia, editMessageReplyMarkup, deleteMessage(s).

An edit keeps the previous version in ``SentMessage.edits``; a delete only
marks the message, so tests still see what was sent.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.api.checks import Checks
from bot.sandbox.errors import ApiError
from bot.sandbox.markup import check_reply_markup
from bot.sandbox.model import Chat, SentMessage
from bot.sandbox.params import Params

__all__ = ["DELETE_WINDOW", "NOT_MODIFIED", "Editing"]

DELETE_WINDOW = 48 * 3600
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class Editing(Checks):
    """The methods that change or delete what the bot sent."""

    def _edit_target(self, params: Params) -> tuple[Chat, SentMessage]:
        if params.has("inline_message_id"):
            raise ApiError.bad_request("inline messages are not emulated")
        chat = self._resolve(params)
        if chat.type == "private" and (chat.blocked or chat.deactivated):
            self._check_can_send(chat)
        message_id = params.integer("message_id", required=True)
        assert message_id is not None
        return chat, self._find_sent(chat, message_id, "edit")

    def _apply_edit(self, msg: SentMessage, **changes: Any) -> dict[str, Any]:
        previous = copy.copy(msg)
        previous.edits = []
        msg.edits.append(previous)
        for name, value in changes.items():
            setattr(msg, name, value)
        msg.edit_date = int(self.now())
        return self._message_json(msg)

    async def _m_editMessageText(self, params: Params) -> dict[str, Any]:
        _, msg = self._edit_target(params)
        if msg.kind != "text":
            raise ApiError.bad_request("there is no text in the message to edit")
        raw = params.text("text") or ""
        parsed = self._parse_text(params, "text", caption=False)
        markup = check_reply_markup(params.parsed("reply_markup"))
        if (parsed.text, parsed.entities, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise ApiError.bad_request(NOT_MODIFIED)
        return self._apply_edit(
            msg,
            text=parsed.text,
            html=raw,
            entities=parsed.entities,
            parse_mode=params.text("parse_mode"),
            reply_markup=markup,
            link_preview_options=params.parsed("link_preview_options"),
        )

    async def _m_editMessageCaption(self, params: Params) -> dict[str, Any]:
        _, msg = self._edit_target(params)
        if msg.kind == "text":
            raise ApiError.bad_request("there is no caption in the message to edit")
        raw = params.text("caption") or ""
        parsed = self._parse_text(params, "caption", caption=True)
        markup = check_reply_markup(params.parsed("reply_markup"))
        if (parsed.text, parsed.entities, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise ApiError.bad_request(NOT_MODIFIED)
        return self._apply_edit(
            msg,
            text=parsed.text,
            html=raw,
            entities=parsed.entities,
            parse_mode=params.text("parse_mode"),
            reply_markup=markup,
        )

    async def _photo_from(self, params: Params) -> dict[str, Any]:
        """The photo of a send (``Sending``'s, which comes first in the emulator's classes)."""
        raise NotImplementedError

    async def _m_editMessageMedia(self, params: Params) -> dict[str, Any]:
        """Only photos are emulated; the new photo is fetched or looked up as sendPhoto's is."""
        _, msg = self._edit_target(params)
        media = params.parsed("media")
        if not isinstance(media, dict) or not media.get("media"):
            raise ApiError.bad_request("can't parse InputMedia: media not found")
        if media.get("type") != "photo":
            raise ApiError.bad_request("only photos are emulated in editMessageMedia")
        if msg.kind != "photo":
            raise ApiError.bad_request("there is no media in the message to edit")
        inner = Params(
            {
                "photo": media["media"],
                "caption": media.get("caption"),
                "parse_mode": media.get("parse_mode"),
                "caption_entities": media.get("caption_entities"),
            },
            params.files,
        )
        parsed = self._parse_text(inner, "caption", caption=True)
        markup = check_reply_markup(params.parsed("reply_markup"))
        photo = await self._photo_from(inner)
        old_file = (msg.photo or {}).get("file_id")
        same = (parsed.text, parsed.entities, markup) == (msg.text, msg.entities, msg.reply_markup)
        if same and photo["file_id"] == old_file:
            raise ApiError.bad_request(NOT_MODIFIED)
        return self._apply_edit(
            msg,
            text=parsed.text,
            html=inner.text("caption") or "",
            entities=parsed.entities,
            parse_mode=inner.text("parse_mode"),
            reply_markup=markup,
            photo=photo,
        )

    async def _m_editMessageReplyMarkup(self, params: Params) -> dict[str, Any]:
        _, msg = self._edit_target(params)
        markup = check_reply_markup(params.parsed("reply_markup"))
        if markup == msg.reply_markup:
            raise ApiError.bad_request(NOT_MODIFIED)
        return self._apply_edit(msg, reply_markup=markup)

    # ------------------------------------------------------------------ deletes

    def _delete_one(self, chat: Chat, message_id: int) -> None:
        msg = self._sent.get(chat.id, {}).get(message_id)
        incoming = self._incoming.get((chat.id, message_id))
        if (msg is None or msg.deleted) and incoming is None:
            raise ApiError.bad_request("message to delete not found")
        date = msg.date if msg is not None else incoming["date"] if incoming else 0
        if self.now() - date >= DELETE_WINDOW:
            raise ApiError.bad_request("message can't be deleted for everyone")
        if chat.type == "channel" and chat.bot_status not in ("administrator", "creator"):
            raise ApiError.bad_request("message can't be deleted")
        if msg is not None:
            msg.deleted = True
        else:
            del self._incoming[(chat.id, message_id)]

    async def _m_deleteMessage(self, params: Params) -> bool:
        chat = self._resolve(params)
        message_id = params.integer("message_id", required=True)
        assert message_id is not None
        self._delete_one(chat, message_id)
        return True

    async def _m_deleteMessages(self, params: Params) -> bool:
        chat = self._resolve(params)
        ids = params.parsed("message_ids")
        if not isinstance(ids, list) or not ids:
            raise ApiError.bad_request("message_ids is empty")
        if len(ids) > 100:
            raise ApiError.bad_request("too many message identifiers specified")
        for message_id in ids:
            try:
                self._delete_one(chat, int(message_id))
            except ApiError:
                continue  # Telegram skips what it can't find or delete
        return True
