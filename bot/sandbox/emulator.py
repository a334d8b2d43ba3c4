"""A local Telegram Bot API emulator that the real python-telegram-bot talks to over HTTP.

It serves ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` with
Telegram's answer shapes and error strings (telegram.md A4), keeps a world of
users, channels and groups that tests change through a Python API (or the
``/_sandbox/...`` control endpoints, see ``bot.sandbox.control``), and records
what the bot sent so that tests and ``newsbot demo`` can read it back.

Run it standalone with ``python -m bot.sandbox.emulator --port 8081``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import re
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.entities import EntityParseError, ParsedText, parse_html, utf16_len
from bot.sandbox.errors import ApiError
from bot.sandbox.limits import FloodControl, TelegramLimits
from bot.sandbox.media import (
    FILE_BY_URL_MAX,
    FILE_UPLOAD_MAX,
    PHOTO_BY_URL_MAX,
    PHOTO_UPLOAD_MAX,
    FileStore,
    StoredFile,
    download,
    make_image,
)
from bot.sandbox.params import Params, UploadedFile
from bot.sandbox.world import Chat, SentMessage, format_transcript, member_json

__all__ = ["BotApiEmulator", "SentMessage", "TelegramLimits"]

DEFAULT_TOKEN = "123456:TEST-token-abcdefghij"
MAX_TEXT = 4096
MAX_CAPTION = 1024
DELETE_WINDOW = 48 * 3600
REQUEST_LOG_SIZE = 2000
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
# Updates delivered when allowed_updates is empty (telegram.md A8).
DEFAULT_UPDATES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
     "my_chat_member", "inline_query", "chosen_inline_result", "shipping_query",
     "pre_checkout_query", "poll", "poll_answer", "chat_join_request"}
)  # fmt: skip
# fmt: off
BOT_METHODS = (
    "getMe", "getUpdates", "sendMessage", "sendPhoto", "sendDocument", "editMessageText",
    "editMessageCaption", "editMessageReplyMarkup", "deleteMessage", "deleteMessages",
    "answerCallbackQuery", "getChat", "getChatMember", "getChatAdministrators",
    "getChatMemberCount", "getFile", "setMyCommands", "deleteMyCommands", "getMyCommands",
    "setWebhook", "deleteWebhook", "getWebhookInfo", "logOut", "close",
)
# fmt: on
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")

Handler = Callable[[Params], Awaitable[Any]]


class _Fault:
    __slots__ = ("chat_id", "code", "description", "method", "parameters", "times")

    def __init__(
        self,
        method: str,
        code: int,
        description: str,
        chat_id: int | str | None,
        times: int,
        parameters: dict[str, Any],
    ) -> None:
        self.method = method.lower()
        self.code = code
        self.description = description
        self.chat_id = chat_id
        self.times = times
        self.parameters = parameters


class BotApiEmulator:
    """The Bot API of one bot, with a scriptable world around it."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        limits: TelegramLimits | None = None,
        latency: float = 0.0,
        bot_username: str = "newsbot_test_bot",
    ) -> None:
        self.token = token
        self.latency = latency
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Newsbot",
            "username": bot_username,
        }
        self._limits: TelegramLimits | None = None
        self._flood: FloodControl | None = None
        self.limits = limits
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port = 0
        self._host = "127.0.0.1"
        self._methods: dict[str, Handler] = {
            name.lower(): getattr(self, f"_m_{name}") for name in BOT_METHODS
        }
        self._poll_generation = 0
        self._closing = False
        self._reset_world()

    # ------------------------------------------------------------------ lifecycle

    def _reset_world(self) -> None:
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
        self._webhook_url = ""
        self._faults: list[_Fault] = []
        self._counts: Counter[str] = Counter()
        self.rejected_429 = 0
        self._requests: deque[tuple[str, dict[str, Any]]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.files = FileStore()
        self.clock_offset = 0.0
        if self._limits is not None:
            self._flood = FloodControl(self._limits)

    def reset(self) -> None:
        """Forget the world, the transcript and the counters; keep latency and limits."""
        waiting = self._wakeup
        self._reset_world()
        waiting.set()  # a pending getUpdates returns (empty) instead of hanging on

    @property
    def limits(self) -> TelegramLimits | None:
        return self._limits

    @limits.setter
    def limits(self, value: TelegramLimits | None) -> None:
        self._limits = value
        self._flood = FloodControl(value) if value is not None else None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from bot.sandbox.control import add_control_routes

        app = web.Application(client_max_size=FILE_UPLOAD_MAX + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._host = host
        self._port = sockets[0].getsockname()[1] if sockets else port
        self._closing = False
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        self._closing = True
        self._wakeup.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def api_root(self) -> str:
        """The value for NEWSBOT_API_URL."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.api_root}/bot{{token}}"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_root}/file/bot{{token}}"

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

    # ------------------------------------------------------------------ world

    def add_user(
        self,
        user_id: int,
        first_name: str = "Reader",
        language_code: str | None = "en",
        username: str | None = None,
        *,
        started: bool = True,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """A user and their private chat with the bot (chat id == user id)."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username.lstrip("@")
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        chat = Chat(
            id=user_id,
            type="private",
            username=user.get("username"),
            user=user,
            started=started,
            bot_status="member",
        )
        self._add_chat(chat)
        return user

    def add_channel(
        self,
        chat_id: int,
        username: str | None = "@news",
        title: str = "News",
        bot_status: str = "administrator",
        can_post_messages: bool = True,
        *,
        owner_id: int | None = None,
    ) -> dict[str, Any]:
        """A channel; the bot is already in it with ``bot_status`` (no update is queued)."""
        chat = Chat(
            id=chat_id,
            type="channel",
            title=title,
            username=username.lstrip("@") if username else None,
            bot_status=bot_status,
            can_post_messages=can_post_messages,
        )
        if owner_id is not None:
            chat.members[owner_id] = "creator"
        self._add_chat(chat)
        return chat.json()

    def add_group(
        self,
        chat_id: int,
        title: str = "Group",
        supergroup: bool = False,
        bot_status: str = "member",
        *,
        username: str | None = None,
    ) -> dict[str, Any]:
        """A group or supergroup with the bot in it as ``bot_status``."""
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username.lstrip("@") if username else None,
            bot_status=bot_status,
        )
        self._add_chat(chat)
        return chat.json()

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Give a user a status in a channel/group (what getChatMember answers)."""
        self._chat(chat_id).members[user_id] = status

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

    def _owner_of(self, chat: Chat) -> dict[str, Any]:
        for user_id, status in chat.members.items():
            if status == "creator" and user_id in self._users:
                return self._users[user_id]
        return {
            "id": 1087968824,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }

    def set_bot_status(
        self,
        chat_id: int,
        status: str,
        can_post_messages: bool = True,
        *,
        by_user_id: int | None = None,
    ) -> None:
        """Change the bot's status in a channel/group and queue the my_chat_member update."""
        chat = self._chat(chat_id)
        old = member_json(
            self.bot_user,
            chat.bot_status,
            can_post_messages=chat.can_post_messages,
            channel=chat.type == "channel",
        )
        chat.bot_status = status
        chat.can_post_messages = can_post_messages
        new = member_json(
            self.bot_user,
            status,
            can_post_messages=can_post_messages,
            channel=chat.type == "channel",
        )
        actor = self._user(by_user_id) if by_user_id is not None else self._owner_of(chat)
        self._queue_member_update(chat, actor, old, new)

    def _queue_member_update(
        self, chat: Chat, actor: dict[str, Any], old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        self._queue(
            "my_chat_member",
            {
                "chat": chat.json(),
                "from": actor,
                "date": int(self.now()),
                "old_chat_member": old,
                "new_chat_member": new,
            },
        )

    def block(self, user_id: int) -> None:
        """The user blocks the bot: my_chat_member member -> kicked; sends get 403."""
        self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> None:
        self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> None:
        chat = self._chat(user_id)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        user = self._user(user_id)
        member, kicked = member_json(self.bot_user, "member"), member_json(self.bot_user, "kicked")
        old, new = (member, kicked) if blocked else (kicked, member)
        self._queue_member_update(chat, user, old, new)

    def deactivate(self, user_id: int) -> None:
        """The user deleted their account: sends get 403 "user is deactivated"."""
        self._chat(user_id).deactivated = True

    def migrate_group(self, old_id: int, new_id: int) -> None:
        """The group becomes a supergroup with a new id, as Telegram does on upgrade."""
        old = self._chat(old_id)
        old.migrated_to = new_id
        new = Chat(
            id=new_id,
            type="supergroup",
            title=old.title,
            bot_status=old.bot_status,
            members=dict(old.members),
        )
        self._add_chat(new)
        if old.bot_status in ("member", "administrator", "creator"):
            actor = self._owner_of(old)
            self._queue_message(old, actor, {"migrate_to_chat_id": new_id})
            self._queue_message(new, actor, {"migrate_from_chat_id": old_id})

    # ------------------------------------------------------------------ updates in

    def _queue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._wakeup.set()
        return update

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
        self._queue("message", message)
        return message

    def _user_chat(self, user_id: int, chat_id: int | None) -> tuple[dict[str, Any], Chat]:
        user = self._user(user_id)
        chat = self._chat(chat_id if chat_id is not None else user_id)
        if chat.type == "private":
            chat.started = True  # writing to the bot is what "pressing Start" amounts to
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

    # ------------------------------------------------------------------ faults

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
        self._faults.append(_Fault(method, error_code, description, chat_id, times, parameters))

    def _injected_fault(self, method: str, params: Params) -> ApiError | None:
        for fault in self._faults:
            if fault.method != method:
                continue
            if fault.chat_id is not None and str(params.values.get("chat_id")) != str(
                fault.chat_id
            ):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return ApiError(fault.code, fault.description, dict(fault.parameters) or None)
        return None

    # ------------------------------------------------------------------ transcript

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

    def count(self, method: str) -> int:
        return self._counts[method.lower()]

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        """The last requests (method, params), at most REQUEST_LOG_SIZE of them."""
        return list(self._requests)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        return list(self._commands.get((_scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def stats(self) -> dict[str, Any]:
        return {
            "counts": dict(self._counts),
            "rejected_429": self.rejected_429,
            "sent_per_chat": {
                str(chat_id): len(self.messages(chat_id)) for chat_id in self.chats_with_messages()
            },
            "pending_updates": len(self._updates),
        }

    def transcript(self) -> str:
        return format_transcript(
            [
                (self._chats.get(chat_id), chat_id, self.messages(chat_id))
                for chat_id in self.chats_with_messages()
            ]
        )

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
                    f"condition {name} not met within {timeout}s; "
                    f"requests so far: {dict(self._counts)}"
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
                    f"{len(got)}: {[m.text[:60] for m in got]}"
                )
            await asyncio.sleep(0.01)
        return self.messages(chat_id)

    # ------------------------------------------------------------------ HTTP

    async def _handle_bot(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        method = request.match_info["method"].lower()
        handler = self._methods.get(method)
        if handler is None:
            return _answer(ApiError(404, "Not Found: method not found").body(), 404)
        try:
            params = await _read_params(request)
        except ApiError as err:
            return _answer(err.body(), err.code)
        if self.latency:
            await asyncio.sleep(self.latency)
        self._counts[method] += 1
        self._requests.append((method, params.values))
        try:
            fault = self._injected_fault(method, params) if self._faults else None
            if fault is not None:
                raise fault
            result = await handler(params)
        except ApiError as err:
            if err.code == 429:
                self.rejected_429 += 1
            return _answer(err.body(), err.code)
        return _answer({"ok": True, "result": result}, 200)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return _answer(ApiError(404, "Not Found").body(), 404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # ------------------------------------------------------------------ checks

    def _resolve(self, params: Params, name: str = "chat_id") -> Chat:
        ref = params.chat_id(name)
        chat_id = self._usernames.get(ref[1:].lower()) if isinstance(ref, str) else ref
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
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
    def _parse(text: str, parse_mode: str | None, entities: Any, *, caption: bool) -> ParsedText:
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
        parsed = self._parse(
            raw, params.text("parse_mode"), params.parsed(entities_name), caption=caption
        )
        if caption:
            if utf16_len(parsed.text) > MAX_CAPTION:
                raise ApiError.bad_request("message caption is too long")
        else:
            if not parsed.text.strip():
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

    # ------------------------------------------------------------------ messages out

    def _message_json(self, msg: SentMessage) -> dict[str, Any]:
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
        return data

    def _record(
        self,
        chat: Chat,
        params: Params,
        kind: str,
        parsed: ParsedText,
        raw: str,
        markup: dict[str, Any] | None,
        **extra: Any,
    ) -> dict[str, Any]:
        msg = SentMessage(
            message_id=self._new_message_id(chat.id),
            chat_id=chat.id,
            kind=kind,
            text=parsed.text,
            html=raw,
            entities=parsed.entities,
            parse_mode=params.text("parse_mode"),
            photo=extra.pop("photo", None),
            reply_markup=markup,
            disable_notification=params.flag("disable_notification"),
            allow_paid_broadcast=params.flag("allow_paid_broadcast"),
            link_preview_options=params.parsed("link_preview_options"),
            date=int(self.now()),
            protect_content=params.flag("protect_content"),
            show_caption_above_media=params.flag("show_caption_above_media"),
            **extra,
        )
        self._sent.setdefault(chat.id, {})[msg.message_id] = msg
        return self._message_json(msg)

    async def _m_sendMessage(self, params: Params) -> dict[str, Any]:
        chat = self._resolve(params)
        self._check_can_send(chat)
        raw = params.text("text") or ""
        parsed = self._parse_text(params, "text", caption=False)
        markup = _check_markup(params.parsed("reply_markup"))
        if params.has("link_preview_options") and params.has("disable_web_page_preview"):
            raise ApiError.bad_request(
                "can't use link_preview_options with disable_web_page_preview"
            )
        self._check_flood(chat, params)
        return self._record(chat, params, "text", parsed, raw, markup)

    async def _m_sendPhoto(self, params: Params) -> dict[str, Any]:
        chat = self._resolve(params)
        self._check_can_send(chat)
        raw = params.text("caption") or ""
        parsed = self._parse_text(params, "caption", caption=True)
        markup = _check_markup(params.parsed("reply_markup"))
        sizes, photo = await self._photo_from(params)
        self._check_flood(chat, params)
        largest = sizes[-1]
        photo.update(
            file_id=largest.file_id,
            width=largest.width,
            height=largest.height,
            size=len(largest.content),
            sizes=[size.photo_size() for size in sizes],
        )
        return self._record(chat, params, "photo", parsed, raw, markup, photo=photo)

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
        chat = self._resolve(params)
        self._check_can_send(chat)
        raw = params.text("caption") or ""
        parsed = self._parse_text(params, "caption", caption=True)
        markup = _check_markup(params.parsed("reply_markup"))
        upload = _upload(params, "document")
        if upload is not None:
            if len(upload.content) > FILE_UPLOAD_MAX:
                raise ApiError(413, "Request Entity Too Large")
            stored = self.files.add_document(
                upload.content, upload.filename, upload.content_type or None
            )
        else:
            ref = params.text("document")
            if ref is None:
                raise ApiError.bad_request("there is no document in the request")
            if ref.startswith(("http://", "https://")):
                content, ctype = await download(self._http(), ref, FILE_BY_URL_MAX, image=False)
                name = ref.rstrip("/").rsplit("/", 1)[-1] or "file"
                stored = self.files.add_document(content, name, ctype or None)
            else:
                found = self.files.get(ref)
                if found is None:
                    raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
                stored = found
        self._check_flood(chat, params)
        return self._record(
            chat, params, "document", parsed, raw, markup, document=stored.document()
        )

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
        markup = _check_markup(params.parsed("reply_markup"))
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
        markup = _check_markup(params.parsed("reply_markup"))
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
        markup = _check_markup(params.parsed("reply_markup"))
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

    # ------------------------------------------------------------------ updates out

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
            ready = self._deliverable(limit)
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

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        # Updates of types the bot didn't ask for are dropped, as Telegram does.
        kept = [u for u in self._updates if _update_type(u) in self._allowed_updates]
        if len(kept) != len(self._updates):
            self._updates = deque(kept)
        return kept[:limit]

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
        key = (_scope_key(params.parsed("scope")), params.text("language_code") or "")
        self._commands[key] = clean
        return True

    async def _m_deleteMyCommands(self, params: Params) -> bool:
        key = (_scope_key(params.parsed("scope")), params.text("language_code") or "")
        self._commands.pop(key, None)
        return True

    async def _m_getMyCommands(self, params: Params) -> list[dict[str, str]]:
        key = (_scope_key(params.parsed("scope")), params.text("language_code") or "")
        return list(self._commands.get(key, []))


# ---------------------------------------------------------------------- helpers


def _answer(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values, files)
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError.bad_request("can't parse JSON object") from None
        if isinstance(body, dict):
            values.update(body)
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                files[part.name] = UploadedFile(
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type", ""),
                    content=bytes(await part.read()),
                )
            else:
                values[part.name] = await part.text()
    else:
        form = await request.post()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return Params(values, files)


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


def _check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate an inline keyboard as Telegram does; other markups pass through."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > 100:
        raise ApiError.bad_request("too many inline keyboard buttons")
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError.bad_request("can't parse inline keyboard button: Text must be a String")
    if not button["text"]:
        raise ApiError.bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url, re.IGNORECASE):
            raise ApiError.bad_request(
                f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
            )
    elif not any(
        key in button
        for key in (
            "switch_inline_query", "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat", "login_url", "web_app", "pay",
            "callback_game", "copy_text",
        )
    ):  # fmt: skip
        raise ApiError.bad_request("text buttons are unallowed in the inline keyboard")


def _command_entities(text: str) -> list[dict[str, Any]]:
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def _update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def _scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or scope.get("type", "default") == "default":
        return "default"
    return json.dumps(scope, sort_keys=True)


# ---------------------------------------------------------------------- CLI


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.emulator", description="Local Telegram Bot API emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="newsbot_test_bot")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's flood limits")
    parser.add_argument("--paid-limit", type=float, default=1000, help="paid broadcasts per second")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    limits = TelegramLimits(paid_per_second=args.paid_limit) if args.limits else None
    emulator = BotApiEmulator(
        token=args.token, limits=limits, latency=args.latency, bot_username=args.bot_username
    )
    await emulator.start(args.host, args.port)
    print(emulator.api_root, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(_serve(_parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
