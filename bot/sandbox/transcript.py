"""A human-readable dump of what each chat received, for ``newsbot demo`` and test failures."""

from __future__ import annotations

from typing import Any

from bot.sandbox.model import Chat, SentMessage

__all__ = ["format_transcript"]


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


def _links(msg: SentMessage) -> list[str]:
    """``text -> url`` for each inline link, since the visible text hides the URLs."""
    encoded = msg.text.encode("utf-16-le")
    links = []
    for entity in msg.entities:
        if entity.get("type") == "text_link":
            start, stop = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
            links.append(f"[{encoded[start:stop].decode('utf-16-le')} -> {entity['url']}]")
    return links


def format_transcript(chats: list[tuple[Chat | None, int, list[SentMessage]]]) -> str:
    """Human-readable dump of what each chat received, for ``newsbot demo``."""
    blocks = []
    for chat, chat_id, messages in chats:
        title = chat.label if chat is not None else "unknown chat"
        lines = [f"=== {title} (id {chat_id}): {len(messages)} message(s) ==="]
        for msg in messages:
            lines.append(f"--- #{msg.message_id} {_describe(msg)}{_flags(msg)}")
            lines.extend(f"    {line}".rstrip() for line in msg.text.splitlines() or [""])
            links = _links(msg)
            if links:
                lines.append("    links: " + " ".join(links))
            buttons = msg.buttons()
            if buttons:
                lines.append("    buttons: " + " ".join(_button_label(b) for b in buttons))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
