"""The readers' commands as menus: Telegram's command menu in each language, and the
list /help shows, which grows with the user's role."""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.handlers import editors
from bot.handlers.admins import registration as admins
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from bot.newsroom.roles import Role

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Start, and choose what to receive"),
    ("subscribe", "Receive news: every topic, or one (/subscribe topic)"),
    ("unsubscribe", "Stop news: all of it, or one topic (/unsubscribe topic)"),
    ("topics", "Choose your topics with buttons"),
    ("language", "Choose the language: English, Russian or Kazakh"),
    ("help", "What I do, and my commands"),
    ("stop", "Stop all news"),
    ("forget", "Delete everything I store about you"),
)


async def publish_command_menus(bot: Bot) -> None:
    """Telegram's command menu for readers, in each language (the default one in English).

    Call once at start-up; Telegram keeps the menus, so a failure here only
    leaves the previous ones in place.
    """
    for language in LANGUAGES:
        menu = [BotCommand(name, translate(language, text)) for name, text in COMMANDS]
        code = None if language == DEFAULT_LANGUAGE else language
        await bot.set_my_commands(menu, language_code=code)


def commands_for(role: Role) -> tuple[tuple[str, str], ...]:
    """The commands a user with ``role`` may use: readers', then editors', then admins'."""
    found = list(COMMANDS)
    if role >= Role.EDITOR:
        found += editors.COMMANDS
    if role >= Role.ADMIN:
        found += admins.COMMANDS
    return tuple(dict(found).items())
