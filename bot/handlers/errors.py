"""The one error handler: log first, then tell the user something short."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import translate

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an exception raised by a handler; apologise to the user if there is one."""
    log.error(
        "handler failed update_id=%s", getattr(update, "update_id", None), exc_info=context.error
    )
    if not isinstance(update, Update) or not update.effective_message:
        return
    if update.effective_chat and update.effective_chat.type == "private":
        user = update.effective_user
        language = user.language_code if user else None
        await update.effective_message.reply_text(
            translate(language, "Something went wrong on our side. Please try again later.")
        )
