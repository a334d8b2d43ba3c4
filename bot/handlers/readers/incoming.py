"""What a reader's update carries, as the readers' handlers read it: the user and
message of a private chat, a command's argument, the session factory, the language."""

from __future__ import annotations

from telegram import Message, Update, User
from telegram.ext import ContextTypes

from bot.i18n import normalize_language
from bot.newsroom import readers
from bot.newsroom.services import services_of
from config.topics import TopicNames
from storage.db import SessionFactory


def private_chat(update: Update) -> tuple[User, Message]:
    """The user and message of a private-chat update (the filters guarantee both)."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    return user, message


def command_argument(context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The command's argument, words joined (a topic can have spaces), or None."""
    text = " ".join(context.args or []).strip()
    return text or None


def sessions_of(context: ContextTypes.DEFAULT_TYPE) -> SessionFactory:
    return services_of(context.bot_data).sessions


def topic_names_of(context: ContextTypes.DEFAULT_TYPE) -> TopicNames:
    """The topics' names in each language, from the settings' ``[topics.*]``."""
    return TopicNames(services_of(context.bot_data).settings.topics)


async def user_language(context: ContextTypes.DEFAULT_TYPE, user: User | None) -> str:
    """A user's language: the one they chose if they are a reader, else their Telegram's."""
    if user is None:
        return normalize_language(None)
    return await readers.language_of(sessions_of(context), user.id, user.language_code)
