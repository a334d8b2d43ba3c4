"""The emulated Telegram around the bot: users, chats, what they do, and what the bot sent.

This layer knows nothing about HTTP: tests script the world through these
methods (a user writes, presses a button, blocks the bot; the bot is made admin
of a channel), which queue the updates Telegram would deliver, and read back
the transcript of what the bot sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.sandbox.entities.text import utf16_len
from bot.sandbox.media import FileStore, make_image
from bot.sandbox.model import Chat, SentMessage, member_json
from bot.sandbox.transcript import format_transcript

__all__ = ["DEFAULT_UPDATES", "World", "scope_key"]

# Updates delivered when allowed_updates is empty (telegram.md A8).
DEFAULT_UPDATES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
     "my_chat_member", "inline_query", "chosen_inline_result", "shipping_query",
     "pre_checkout_query", "poll", "poll_answer", "chat_join_request"}
)  # fmt: skip
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class World:
    """Users, chats and messages of one bot, scriptable from tests."""

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

    # ------------------------------------------------------------------ chats and users

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

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    # ------------------------------------------------------------------ what the bot sent

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


def _command_entities(text: str) -> list[dict[str, Any]]:
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or scope.get("type", "default") == "default":
        return "default"
    return json.dumps(scope, sort_keys=True)
