"""Where the readers' handlers join the application: the commands and buttons first,
the catch-all (registered separately, last of all audiences) after everything else."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers import membership
from bot.handlers.readers.buttons import on_button, on_stale_button
from bot.handlers.readers.commands import (
    on_command_elsewhere,
    on_forget,
    on_help,
    on_language,
    on_start,
    on_stop,
    on_subscribe,
    on_topics,
    on_unsubscribe,
)
from bot.handlers.readers.fallback import on_group_command, on_plain_message, on_unknown_command
from bot.handlers.readers.keyboards import PREFIX
from bot.handlers.readers.menu import COMMANDS


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this audience's handlers to group 0."""
    private = filters.ChatType.PRIVATE
    for name, callback in (
        ("start", on_start),
        ("subscribe", on_subscribe),
        ("unsubscribe", on_unsubscribe),
        ("stop", on_stop),
        ("topics", on_topics),
        ("language", on_language),
        ("help", on_help),
        ("forget", on_forget),
    ):
        application.add_handler(CommandHandler(name, callback, filters=private))
    names = [name for name, _ in COMMANDS]
    groups = filters.ChatType.GROUPS  # never answer inside a channel: that would be a post
    application.add_handler(CommandHandler(names, on_command_elsewhere, filters=groups))
    application.add_handler(CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"))
    membership.register(application)


def register_fallback(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The catch-all for unknown commands and plain text, registered last."""
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    plain = private & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    application.add_handler(MessageHandler(plain, on_plain_message))
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, on_group_command)
    )
    application.add_handler(CallbackQueryHandler(on_stale_button))
