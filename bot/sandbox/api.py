"""The Bot API methods, with Telegram's validation, answers and error strings.

Each ``_m_<method>`` takes the request's parameters and returns the ``result``
or raises ``ApiError``; ``call`` adds what every request gets: latency,
counting, the bounded request log and injected faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import logging
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.sandbox.entities.parser import parse_html
from bot.sandbox.entities.text import EntityParseError, ParsedText, utf16_len
from bot.sandbox.errors import ApiError
from bot.sandbox.limits import FloodControl, TelegramLimits
from bot.sandbox.markup import check_reply_markup
from bot.sandbox.media import (
    FILE_BY_URL_MAX,
    FILE_UPLOAD_MAX,
    PHOTO_BY_URL_MAX,
    PHOTO_UPLOAD_MAX,
    StoredFile,
    download,
)
from bot.sandbox.model import Chat, SentMessage, member_json
from bot.sandbox.params import Params, UploadedFile
from bot.sandbox.world.actions import World
from bot.sandbox.world.outbox import scope_key
from bot.sandbox.world.state import DEFAULT_UPDATES

__all__ = ["BOT_METHODS", "DISCONNECT", "BotApi"]

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
DELETE_WINDOW = 48 * 3600
REQUEST_LOG_SIZE = 2000
DISCONNECT = 0  # the status ``call`` returns when the connection is to be dropped
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
# fmt: off
BOT_METHODS = (
    "getMe", "getUpdates", "sendMessage", "sendPhoto", "sendDocument", "editMessageText",
    "editMessageCaption", "editMessageReplyMarkup", "deleteMessage", "deleteMessages",
    "answerCallbackQuery", "getChat", "getChatMember", "getChatAdministrators",
    "getChatMemberCount", "getFile", "setMyCommands", "deleteMyCommands", "getMyCommands",
    "setWebhook", "deleteWebhook", "getWebhookInfo", "logOut", "close", "sendChatAction",
)
CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)
# fmt: on
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")

Handler = Callable[[Params], Awaitable[Any]]


@dataclass
class _Fault:
    """An injected misbehaviour for the next ``times`` calls of one method."""

    method: str
    chat_id: int | str | None
    times: int
    error: ApiError | None = None
    delay: float = 0.0
    disconnect: bool = False

    def matches(self, method: str, params: Params) -> bool:
        if self.method != method:
            return False
        return self.chat_id is None or str(params.values.get("chat_id")) == str(self.chat_id)


@dataclass(frozen=True)
class _Draft:
    """A send request that passed the checks common to every kind of message."""

    chat: Chat
    raw: str
    parsed: ParsedText
    markup: dict[str, Any] | None
    reply_to: int | None


class BotApi(World):
    """The world plus the Bot API methods the bot calls on it."""

    def __init__(
        self,
        token: str,
        limits: TelegramLimits | None = None,
        latency: float = 0.0,
        bot_username: str = "newsbot_test_bot",
    ) -> None:
        self.latency = latency
        self._limits: TelegramLimits | None = limits
        self._flood: FloodControl | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods: dict[str, Handler] = {
            name.lower(): getattr(self, f"_m_{name}") for name in BOT_METHODS
        }
        # Method names are case-insensitive; counters and the log use Telegram's spelling.
        self._spelling = {name.lower(): name for name in BOT_METHODS}
        self._poll_generation = 0
        self._closing = False
        super().__init__(token, bot_username)

    def _reset(self) -> None:
        super()._reset()
        self._webhook_url = ""
        self._faults: list[_Fault] = []
        self._counts: Counter[str] = Counter()
        self.rejected_429 = 0
        self._first_sent_at: float | None = None
        self._last_sent_at: float | None = None
        self._requests: deque[tuple[str, dict[str, Any]]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._flood = FloodControl(self._limits) if self._limits is not None else None

    def reset(self) -> None:
        """Forget the world, the transcript and the counters; keep latency and limits."""
        waiting = self._wakeup
        self._reset()
        waiting.set()  # a pending getUpdates returns (empty) instead of hanging on

    @property
    def limits(self) -> TelegramLimits | None:
        return self._limits

    @limits.setter
    def limits(self, value: TelegramLimits | None) -> None:
        self._limits = value
        self._flood = FloodControl(value) if value is not None else None

    def knows(self, method: str) -> bool:
        """Whether ``method`` (lower-cased) is a Bot API method the emulator serves."""
        return method in self._methods

    async def call(self, method: str, params: Params) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call; returns the HTTP status and Telegram's JSON answer."""
        if self.latency:
            await asyncio.sleep(self.latency)
        name = self._spelling[method]
        self._counts[name] += 1
        self._requests.append((name, params.values))
        try:
            fault = self._take_fault(method, params) if self._faults else None
            if fault is not None:
                await asyncio.sleep(fault.delay)
                if fault.disconnect:
                    return DISCONNECT, {}
                if fault.error is not None:
                    raise fault.error
            result = await self._methods[method](params)
        except ApiError as err:
            if err.code == 429:
                self.rejected_429 += 1
            return err.code, err.body()
        except Exception as err:  # an emulator bug: say so loudly instead of dropping the line
            log.exception("emulator failed on %s", method)
            failure = ApiError(500, f"Internal Server Error: emulator bug: {err!r}")
            return 500, failure.body()
        return 200, {"ok": True, "result": result}

    # ------------------------------------------------------------------ faults and counters

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str = "",
        *,
        chat_id: int | str | None = None,
        times: int = 1,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (optionally to one chat) with an error."""
        parameters: dict[str, Any] = {}
        if error_code == 429:
            retry_after = retry_after if retry_after is not None else 1
            description = f"Too Many Requests: retry after {retry_after}"
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if not description:
            description = {500: "Internal Server Error", 502: "Bad Gateway"}.get(
                error_code, "Bad Request: injected failure"
            )
        error = ApiError(error_code, description, parameters or None)
        self._faults.append(_Fault(method.lower(), chat_id, times, error=error))

    def delay_next(
        self, method: str, seconds: float, *, chat_id: int | str | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` late, but carry them out.

        A client that times out meanwhile sees an error although the message was
        sent, as happens with Telegram: the way duplicates are born.
        """
        self._faults.append(_Fault(method.lower(), chat_id, times, delay=seconds))

    def disconnect_next(
        self, method: str, *, chat_id: int | str | None = None, times: int = 1
    ) -> None:
        """Drop the connection on the next ``times`` calls of ``method`` without carrying
        them out: a network failure rather than an error answer."""
        self._faults.append(_Fault(method.lower(), chat_id, times, disconnect=True))

    def _take_fault(self, method: str, params: Params) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method, params):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def count(self, method: str) -> int:
        """How many calls of ``method`` (any spelling) the emulator received."""
        return self._counts[self._spelling.get(method.lower(), method)]

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        """The last requests (method, params), at most REQUEST_LOG_SIZE of them."""
        return list(self._requests)

    def _progress(self) -> str:
        return f"{super()._progress()}; requests so far: {dict(self._counts)}"

    def stats(self) -> dict[str, Any]:
        """Counters for tests and benchmarks (also GET /_sandbox/stats)."""
        return {
            "first_sent_at": self._first_sent_at,
            "last_sent_at": self._last_sent_at,
            "counts": dict(self._counts),
            "rejected_429": self.rejected_429,
            "sent_per_chat": {
                str(chat_id): len(self.messages(chat_id)) for chat_id in self.chats_with_messages()
            },
            "pending_updates": len(self._updates),
        }

    # ------------------------------------------------------------------ checks

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
        retry_after = self._flood.check(
            chat.id, chat.type == "private", params.flag("allow_paid_broadcast"), time.monotonic()
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

    # ------------------------------------------------------------------ sending

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
        sizes, photo = await self._photo_from(params)
        self._check_flood(draft.chat, params)
        largest = sizes[-1]
        photo.update(
            file_id=largest.file_id,
            width=largest.width,
            height=largest.height,
            size=len(largest.content),
            sizes=[size.photo_size() for size in sizes],
        )
        return self._record(draft, params, "photo", photo=photo)

    async def _photo_from(self, params: Params) -> tuple[list[StoredFile], dict[str, Any]]:
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

    # ------------------------------------------------------------------ edits

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

    # ------------------------------------------------------------------ updates

    async def _m_getUpdates(self, params: Params) -> list[dict[str, Any]]:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset") or 0
        limit = min(100, max(1, params.integer("limit") or 100))
        timeout = max(0.0, params.number("timeout", 0.0))
        allowed = params.parsed("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATES
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wakeup.set()  # an older long poll still waiting ends with a conflict
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            ready = list(itertools.islice(self._updates, limit))
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                return ready
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        elif offset:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()

    async def _m_setWebhook(self, params: Params) -> bool:
        url = params.text("url") or ""
        if url and not url.startswith("https://"):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self._webhook_url = url
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_deleteWebhook(self, params: Params) -> bool:
        self._webhook_url = ""
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: Params) -> dict[str, Any]:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # ------------------------------------------------------------------ the rest

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
