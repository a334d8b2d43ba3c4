"""sendMessage, sendPhoto, sendDocument and sendChatAction.

Every send passes the same checks first (``_draft``); photos and documents then
come from an upload, a URL or a known file_id, and the message is recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.sandbox.api.checks import Checks
from bot.sandbox.entities.text import ParsedText
from bot.sandbox.errors import ApiError
from bot.sandbox.markup import check_reply_markup
from bot.sandbox.media import (
    FILE_BY_URL_MAX,
    FILE_UPLOAD_MAX,
    PHOTO_BY_URL_MAX,
    PHOTO_UPLOAD_MAX,
    StoredFile,
    download,
)
from bot.sandbox.model import Chat, SentMessage
from bot.sandbox.params import Params, UploadedFile

__all__ = ["CHAT_ACTIONS", "Sending"]

# fmt: off
CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)
# fmt: on


@dataclass(frozen=True)
class _Draft:
    """A send request that passed the checks common to every kind of message."""

    chat: Chat
    raw: str
    parsed: ParsedText
    markup: dict[str, Any] | None
    reply_to: int | None


class Sending(Checks):
    """The methods that send a message (or a chat action) to a chat."""

    def _draft(self, params: Params, text_name: str) -> _Draft:
        """The checks every send makes before its media, in Telegram's order."""
        chat = self._resolve(params)
        self._check_can_send(chat)
        caption = text_name == "caption"
        return _Draft(
            chat=chat,
            raw=params.text(text_name) or "",
            parsed=self._parse_text(params, text_name, caption=caption),
            markup=check_reply_markup(params.parsed("reply_markup")),
            reply_to=self._reply_target(chat, params),
        )

    def _reply_target(self, chat: Chat, params: Params) -> int | None:
        reply = params.parsed("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_without = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.integer("reply_to_message_id")
            allow_without = params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        if self._message_exists(chat.id, int(message_id)):
            return int(message_id)
        if allow_without:
            return None
        raise ApiError.bad_request("message to be replied not found")

    def _record(self, draft: _Draft, params: Params, kind: str, **media: Any) -> dict[str, Any]:
        chat = draft.chat
        msg = SentMessage(
            message_id=self._new_message_id(chat.id),
            chat_id=chat.id,
            kind=kind,
            text=draft.parsed.text,
            html=draft.raw,
            entities=draft.parsed.entities,
            parse_mode=params.text("parse_mode"),
            photo=media.pop("photo", None),
            reply_markup=draft.markup,
            disable_notification=params.flag("disable_notification"),
            allow_paid_broadcast=params.flag("allow_paid_broadcast"),
            link_preview_options=params.parsed("link_preview_options"),
            date=int(self.now()),
            protect_content=params.flag("protect_content"),
            show_caption_above_media=params.flag("show_caption_above_media"),
            reply_to_message_id=draft.reply_to,
            sent_at=time.time(),
            **media,
        )
        self._sent.setdefault(chat.id, {})[msg.message_id] = msg
        if self._first_sent_at is None:
            self._first_sent_at = msg.sent_at
        self._last_sent_at = msg.sent_at
        return self._message_json(msg)

    async def _m_sendMessage(self, params: Params) -> dict[str, Any]:
        draft = self._draft(params, "text")
        if params.has("link_preview_options") and params.has("disable_web_page_preview"):
            raise ApiError.bad_request(
                "can't use link_preview_options with disable_web_page_preview"
            )
        self._check_flood(draft.chat, params)
        return self._record(draft, params, "text")

    async def _m_sendPhoto(self, params: Params) -> dict[str, Any]:
        draft = self._draft(params, "caption")
        photo = await self._photo_from(params)
        self._check_flood(draft.chat, params)
        return self._record(draft, params, "photo", photo=photo)

    async def _photo_from(self, params: Params) -> dict[str, Any]:
        """The photo a request names (upload, URL or file_id), as the message will carry it."""
        sizes, origin = await self._photo_sizes(params)
        largest = sizes[-1]
        return {
            **origin,
            "file_id": largest.file_id,
            "width": largest.width,
            "height": largest.height,
            "size": len(largest.content),
            "sizes": [size.photo_size() for size in sizes],
        }

    async def _photo_sizes(self, params: Params) -> tuple[list[StoredFile], dict[str, Any]]:
        upload = _upload(params, "photo")
        if upload is not None:
            if len(upload.content) > PHOTO_UPLOAD_MAX:
                raise ApiError.bad_request("file is too big")
            return self.files.add_photo(upload.content), {"source": "upload", "url": None}
        ref = params.text("photo")
        if ref is None:
            raise ApiError.bad_request("there is no photo in the request")
        if ref.startswith(("http://", "https://")):
            content, _ = await download(self._http(), ref, PHOTO_BY_URL_MAX, image=True)
            try:
                sizes = self.files.add_photo(content)
            except ApiError:
                raise ApiError.bad_request("wrong type of the web page content") from None
            return sizes, {"source": "url", "url": ref}
        sizes_or_none = self.files.photo_sizes_of(ref)
        if sizes_or_none is None:
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        return sizes_or_none, {"source": "file_id", "url": None}

    async def _m_sendDocument(self, params: Params) -> dict[str, Any]:
        draft = self._draft(params, "caption")
        stored = await self._document_from(params)
        self._check_flood(draft.chat, params)
        return self._record(draft, params, "document", document=stored.document())

    async def _document_from(self, params: Params) -> StoredFile:
        upload = _upload(params, "document")
        if upload is not None:
            if len(upload.content) > FILE_UPLOAD_MAX:
                raise ApiError(413, "Request Entity Too Large")
            return self.files.add_document(
                upload.content, upload.filename, upload.content_type or None
            )
        ref = params.text("document")
        if ref is None:
            raise ApiError.bad_request("there is no document in the request")
        if ref.startswith(("http://", "https://")):
            content, ctype = await download(self._http(), ref, FILE_BY_URL_MAX, image=False)
            name = ref.rstrip("/").rsplit("/", 1)[-1] or "file"
            return self.files.add_document(content, name, ctype or None)
        found = self.files.get(ref)
        if found is None:
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        return found

    async def _m_sendChatAction(self, params: Params) -> bool:
        chat = self._resolve(params)
        self._check_can_send(chat)
        if params.text("action") not in CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        return True

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise ApiError(500, "Internal Server Error: emulator not started")
        return self._session


def _upload(params: Params, name: str) -> UploadedFile | None:
    """The multipart part for ``name``, directly or through ``attach://<part>``."""
    if name in params.files:
        return params.files[name]
    value = params.values.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        part = params.files.get(value[len("attach://") :])
        if part is None:
            raise ApiError.bad_request(f"{name} attachment not found")
        return part
    return None
