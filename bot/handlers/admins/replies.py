"""How the admin handlers answer: a management outcome in the admin's language, long
listings cut to Telegram's length limit, and the usage line for a malformed command."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import Message, Update
from telegram.constants import MessageLimit

from bot.i18n import translate
from bot.newsroom import management


def message_of(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


async def reply_outcome(update: Update, outcome: management.Outcome, language: str) -> None:
    values = {key: html.escape(str(value), quote=False) for key, value in outcome.values.items()}
    await message_of(update).reply_text(outcome.text(language, values))


async def reply_long(update: Update, lines: Sequence[str]) -> None:
    """Lines in as few messages as Telegram's length limit allows."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) + 1 > MessageLimit.MAX_TEXT_LENGTH - 96:
            await message_of(update).reply_text("\n".join(chunk))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        await message_of(update).reply_text("\n".join(chunk))


def usage_text(language: str, usage: str) -> str:
    return translate(language, "Usage: {usage}", usage=html.escape(usage, quote=False))
