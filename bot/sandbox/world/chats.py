"""Users, channels and groups, and the bot's standing in each.

Changing the bot's status, a block or a group's migration queues the updates
Telegram would send about it.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.model import Chat, member_json
from bot.sandbox.world.state import WorldState

__all__ = ["Chats"]


class Chats(WorldState):
    """The chats of the world and the people in them, scriptable from tests."""

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
