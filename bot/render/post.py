"""A post as Telegram HTML. Pure: no I/O, no Telegram client.

MINIMAL FIRST VERSION: the posts issue completes it (fitting, templates, i18n).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096


@dataclass(frozen=True)
class PostContent:
    """What a post says, before it is rendered for a chat."""

    title: str
    summary: str = ""
    url: str | None = None
    source_name: str | None = None
    topic: str | None = None
    image_url: str | None = None
    credit: str | None = None
    breaking: bool = False


@dataclass(frozen=True)
class RenderedPost:
    """A post ready to send: HTML text (or caption) and its URL buttons."""

    html: str
    buttons: tuple[tuple[str, str], ...] = ()  # (label, url)
    as_caption: bool = False


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return len(text.encode("utf-16-le")) // 2


def render_post(content: PostContent, language: str = "en", *, as_caption: bool) -> RenderedPost:
    """Render ``content`` for a chat that speaks ``language``."""
    limit = CAPTION_LIMIT if as_caption else TEXT_LIMIT
    title = f"<b>{_esc(content.title)}</b>"
    link = ""
    if content.url:
        name = content.source_name or content.url
        link = f'<a href="{html.escape(content.url, quote=True)}">{_esc(name)}</a>'
    fixed = telegram_length(content.title) + telegram_length(content.source_name or "") + 4
    summary = content.summary[: max(0, limit - fixed - 1)]
    parts = [title, _esc(summary), link]
    body = "\n\n".join(p for p in parts if p)
    return RenderedPost(body, (), as_caption)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)
