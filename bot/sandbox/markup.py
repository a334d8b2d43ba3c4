"""Telegram's checks on reply_markup, inline keyboards above all."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.errors import ApiError

__all__ = ["check_reply_markup"]

_BUTTON_URL = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
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
        if not isinstance(url, str) or not _BUTTON_URL.match(url):
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
