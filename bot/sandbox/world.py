"""The emulated Telegram world: chats, users, what the bot sent, and their JSON shapes.

The JSON builders produce exactly the fields PTB needs to de-json User, Chat,
ChatFullInfo, ChatMember* and Message objects (PTB 22.8 signatures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Chat", "SentMessage", "format_transcript", "member_json"]

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


def _flags(msg: SentMessage) -> str:
    flags = []
    if msg.disable_notification:
        flags.append("silent")
    if msg.allow_paid_broadcast:
        flags.append("paid")
    if msg.protect_content:
        flags.append("protected")
    if msg.link_preview_options and msg.link_preview_options.get("is_disabled"):
        flags.append("no preview")
    if msg.edits:
        flags.append(f"edited {len(msg.edits)}x")
    if msg.deleted:
        flags.append("DELETED")
    return f" ({', '.join(flags)})" if flags else ""


def _describe(msg: SentMessage) -> str:
    if msg.kind == "photo" and msg.photo:
        photo = msg.photo
        where = photo.get("url") or photo.get("source")
        return f"photo {photo.get('width')}x{photo.get('height')} from {where}"
    if msg.kind == "document" and msg.document:
        return f"document {msg.document.get('file_name')} ({msg.document.get('file_size')} bytes)"
    return "text"


def _button_label(button: dict[str, Any]) -> str:
    target = button.get("url") or f"callback:{button.get('callback_data', '')}"
    return f"[{button.get('text')} -> {target}]"


def format_transcript(chats: list[tuple[Chat | None, int, list[SentMessage]]]) -> str:
    """Human-readable dump of what each chat received, for ``newsbot demo``."""
    blocks = []
    for chat, chat_id, messages in chats:
        title = chat.label if chat is not None else "unknown chat"
        lines = [f"=== {title} (id {chat_id}): {len(messages)} message(s) ==="]
        for msg in messages:
            lines.append(f"--- #{msg.message_id} {_describe(msg)}{_flags(msg)}")
            lines.extend(f"    {line}" for line in msg.text.splitlines() or [""])
            buttons = msg.buttons()
            if buttons:
                lines.append("    buttons: " + " ".join(_button_label(b) for b in buttons))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
