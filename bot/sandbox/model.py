"""Chats and sent messages as the emulator keeps them, and their Bot API JSON shapes.

The JSON builders produce exactly the fields PTB needs to de-json User, Chat,
ChatFullInfo, ChatMember* and Message objects (PTB 22.8 signatures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Chat", "SentMessage", "member_json"]

CHANNEL_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


@dataclass
class SentMessage:
    """One message the bot sent, as the chat shows it now."""

    message_id: int
    chat_id: int
    kind: str  # "text" | "photo" | "document"
    text: str  # visible text (caption for media) after entity parsing
    html: str  # the raw text/caption the bot sent
    entities: list[dict[str, Any]]
    parse_mode: str | None
    photo: dict[str, Any] | None
    reply_markup: dict[str, Any] | None
    disable_notification: bool
    allow_paid_broadcast: bool
    link_preview_options: dict[str, Any] | None
    date: int
    edits: list[SentMessage] = field(default_factory=list)
    deleted: bool = False
    document: dict[str, Any] | None = None
    protect_content: bool = False
    show_caption_above_media: bool = False
    edit_date: int | None = None
    reply_to_message_id: int | None = None
    sent_at: float = 0.0  # wall-clock time with sub-second precision, for benchmarks

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view (for the control API)."""
        data = {k: v for k, v in self.__dict__.items() if k != "edits"}
        data["edits"] = [edit.to_dict() for edit in self.edits]
        return data

    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row after row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]


@dataclass
class Chat:
    """A chat the emulator knows; private chats carry their user's state too."""

    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    username: str | None = None  # without "@"
    bot_status: str = "member"  # creator | administrator | member | restricted | left | kicked
    can_post_messages: bool = True
    migrated_to: int | None = None
    # private chats only
    user: dict[str, Any] | None = None
    started: bool = True
    blocked: bool = False
    deactivated: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> status

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user["first_name"]
            if self.user.get("last_name"):
                data["last_name"] = self.user["last_name"]
        else:
            data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        return data

    def full_info(self) -> dict[str, Any]:
        data = self.json()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data

    @property
    def label(self) -> str:
        if self.type == "private" and self.user is not None:
            name = self.user["first_name"]
            handle = f" @{self.user['username']}" if self.user.get("username") else ""
            return f'private chat with "{name}"{handle}'
        handle = f" @{self.username}" if self.username else ""
        return f'{self.type} "{self.title}"{handle}'


def member_json(
    user: dict[str, Any], status: str, *, can_post_messages: bool = True, channel: bool = False
) -> dict[str, Any]:
    """A ChatMember object of the given status for ``user``."""
    data: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        data.update({right: True for right in CHANNEL_ADMIN_RIGHTS})
        data.update(can_be_edited=False, is_anonymous=False)
        if channel:
            data.update(can_post_messages=can_post_messages, can_edit_messages=can_post_messages)
        else:
            data["can_pin_messages"] = True
    elif status == "creator":
        data["is_anonymous"] = False
    elif status == "kicked":
        data["until_date"] = 0
    elif status == "restricted":
        data.update(
            is_member=True,
            until_date=0,
            **dict.fromkeys(
                (
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                    "can_send_messages",
                    "can_send_polls",
                    "can_send_other_messages",
                    "can_add_web_page_previews",
                    "can_manage_topics",
                    "can_send_audios",
                    "can_send_documents",
                    "can_send_photos",
                    "can_send_videos",
                    "can_send_video_notes",
                    "can_send_voice_notes",
                    "can_edit_tag",
                ),
                False,
            ),
        )
    return data
