"""Every Telegram handler, registered in one place, one module per audience.

Order matters: in PTB the first matching handler of a group wins, so the
editors' and admins' commands come first and the readers' catch-all (unknown
commands and plain text get a hint) comes last.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.handlers import editors, errors
from bot.handlers.admins import registration as admins
from bot.handlers.readers import registration as readers


def register_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    editors.register(application)
    admins.register(application)
    readers.register(application)
    readers.register_fallback(application)
    application.add_error_handler(errors.on_error)
