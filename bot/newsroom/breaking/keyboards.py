"""The post as readers will see it, and the buttons under an editor's messages.

Pure: a button's callback data (what step, which post) is built and parsed
here, and the preview is rendered exactly as the delivery worker renders it.
"""

from __future__ import annotations

import enum
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.delivery.content import post_content
from bot.i18n import translate
from bot.render.post import RenderedPost, render_post
from storage.models import Post

CALLBACK_PREFIX = "brk"


class Step(enum.StrEnum):
    """What an inline button under an editor's message asks for (in its callback data)."""

    PUBLISH = "pub"
    CANCEL = "can"
    RECALL = "rcl"  # confirm the recall of this post
    PICK = "pick"  # show the recall confirmation for this (older) post
    KEEP = "keep"  # do not recall after all


def callback_data(step: Step, post_id: int) -> str:
    return f"{CALLBACK_PREFIX}:{step.value}:{post_id}"


def parse_callback(data: str | None) -> tuple[Step, int] | None:
    """The step and post id a button carries; None for anything malformed (data is untrusted)."""
    match = re.fullmatch(rf"{CALLBACK_PREFIX}:([a-z]+):(\d{{1,18}})", data or "")
    if match is None:
        return None
    try:
        return Step(match.group(1)), int(match.group(2))
    except ValueError:
        return None


def render(post: Post, language: str, *, as_caption: bool) -> RenderedPost:
    """The post exactly as the delivery worker renders it for a chat in ``language``."""
    return render_post(post_content(post, None, None), language, as_caption=as_caption)


def has_photo(post: Post) -> bool:
    return bool(post.photo_file_id or post.image_url)


def url_rows(rendered: RenderedPost) -> list[list[InlineKeyboardButton]]:
    """The post's own URL buttons, one per row, as readers see them."""
    return [[InlineKeyboardButton(label, url=url)] for label, url in rendered.buttons]


def preview_keyboard(post_id: int, rendered: RenderedPost, language: str) -> InlineKeyboardMarkup:
    """Publish and Cancel first (the interface's promise), then the post's own buttons."""
    first = [
        InlineKeyboardButton(
            translate(language, "✅ Publish"), callback_data=callback_data(Step.PUBLISH, post_id)
        ),
        InlineKeyboardButton(
            translate(language, "✖ Cancel"), callback_data=callback_data(Step.CANCEL, post_id)
        ),
    ]
    return InlineKeyboardMarkup([first, *url_rows(rendered)])


def link_preview(rendered: RenderedPost) -> LinkPreviewOptions | None:
    link = rendered.link_url
    return LinkPreviewOptions(url=link, prefer_large_media=False) if link else None
