"""Who may run an admin command: the guard every admin handler runs behind, which also
finds the language the admin is answered in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import normalize_language, translate
from bot.newsroom.roles import Role, role_of
from bot.newsroom.services import Services, services_of
from storage.chats import chat_by_telegram_id

Context = ContextTypes.DEFAULT_TYPE
AdminHandler = Callable[[Update, Context, Services, str], Awaitable[None]]


Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def admin_only(handler: AdminHandler) -> Callback:
    """Run ``handler`` for admins only; anyone else gets a short refusal and nothing happens."""

    @wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        services = services_of(context.bot_data)
        language = await _language(services, user.id, user.language_code)
        if await role_of(services.settings, services.sessions, user.id) < Role.ADMIN:
            await message.reply_text(translate(language, "Sorry, only admins can do that."))
            return
        await handler(update, context, services, language)

    return guarded


async def _language(services: Services, user_id: int, code: str | None) -> str:
    """The language the admin chose as a reader, else Telegram's."""
    async with services.sessions() as session:
        chat = await chat_by_telegram_id(session, user_id)
    return chat.language if chat is not None else normalize_language(code)
