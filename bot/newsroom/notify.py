"""Messages to the newsroom's admins (alerts, channel changes)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.i18n import translate, translate_plural
from bot.newsroom.services import Services
from storage.chats import chat_by_telegram_id
from storage.roles import users_with_role

log = logging.getLogger(__name__)


async def admin_ids(services: Services) -> list[int]:
    """Admins from the settings and those granted in Telegram or the CLI."""
    async with services.sessions() as session:
        stored = [role.user_id for role in await users_with_role(session, "admin")]
    return list(dict.fromkeys([*services.settings.admins, *stored]))


async def notify_admins(
    bot: Bot,
    services: Services,
    msgid: str,
    *,
    plural: tuple[str, int] | None = None,
    **values: Any,
) -> int:
    """Tell every admin, each in their language; returns how many were reached.

    ``plural`` is a counted message's plural msgid and its count, for the form
    each language takes for it.
    """
    reached = 0
    for user_id in await admin_ids(services):
        async with services.sessions() as session:
            chat = await chat_by_telegram_id(session, user_id)
        language = chat.language if chat else services.settings.post.language
        try:
            text = (
                translate_plural(language, msgid, plural[0], plural[1], **values)
                if plural
                else translate(language, msgid, **values)
            )
            await bot.send_message(user_id, text)
            reached += 1
        except TelegramError as exc:
            log.warning("admin not reachable user_id=%s error=%s", user_id, exc)
    return reached
