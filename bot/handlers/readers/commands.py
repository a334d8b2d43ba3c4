"""The readers' commands: /start, /subscribe, /unsubscribe, /stop, /topics, /language,
/help and /forget in a private chat, and the pointer to one when they come from a group.

Each parses the update, calls ``bot.newsroom.readers`` and replies in the
reader's language.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.readers.buttons import language_chosen
from bot.handlers.readers.incoming import (
    command_argument,
    private_chat,
    sessions_of,
    topic_names_of,
    user_language,
)
from bot.handlers.readers.keyboards import (
    forget_keyboard,
    language_keyboard,
    topics_keyboard,
    welcome_keyboard,
)
from bot.handlers.readers.menu import commands_for
from bot.handlers.readers.texts import (
    TAIL,
    help_text,
    private_only_text,
    receiving,
    subscribe_text,
    topics_text,
    unsubscribe_text,
    welcome_text,
)
from bot.i18n import LANGUAGES, translate
from bot.newsroom import readers
from bot.newsroom.roles import role_of
from bot.newsroom.services import services_of

FORGET_ASK = "This deletes your subscriptions and everything I store about you. Delete it all?"


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome a reader, with the subscribe choice unless they already have topics."""
    user, message = private_chat(update)
    reader = await readers.start(
        sessions_of(context), user.id, user.language_code, topic_names_of(context)
    )
    lang = reader.language
    if reader.chosen and not reader.is_new:
        text = "\n\n".join(
            (translate(lang, "Welcome back!"), receiving(reader), translate(lang, TAIL))
        )
        await message.reply_text(text)
        return
    await message.reply_text(welcome_text(lang), reply_markup=welcome_keyboard(lang))


async def on_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe [topic]."""
    user, message = private_chat(update)
    topic = command_argument(context)
    change, reader = await readers.subscribe(
        sessions_of(context), user.id, user.language_code, topic, topic_names_of(context)
    )
    await message.reply_text(subscribe_text(reader, change, _slug(topic, reader, context)))


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe [topic]."""
    user, message = private_chat(update)
    topic = command_argument(context)
    change, reader = await readers.unsubscribe(
        sessions_of(context), user.id, user.language_code, topic, topic_names_of(context)
    )
    await message.reply_text(unsubscribe_text(reader, change, _slug(topic, reader, context)))


def _slug(
    topic: str | None, reader: readers.Reader, context: ContextTypes.DEFAULT_TYPE
) -> str | None:
    """The topic a reader typed (a slug or a name in any language) as its slug, for the reply."""
    if topic is None:
        return None
    known = [*reader.available, *reader.chosen]
    return readers.find_topic(topic, known, topic_names_of(context)) or topic


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stop: unsubscribe from everything."""
    user, message = private_chat(update)
    change, reader = await readers.unsubscribe(
        sessions_of(context), user.id, user.language_code, None, topic_names_of(context)
    )
    await message.reply_text(unsubscribe_text(reader, change, None))


async def on_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: the topic buttons, showing the current choice."""
    user, message = private_chat(update)
    reader = await readers.topics(
        sessions_of(context), user.id, user.language_code, topic_names_of(context)
    )
    await message.reply_text(topics_text(reader), reply_markup=topics_keyboard(reader))


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language [en|ru|kk]: set it directly, or offer the three buttons; then the editions."""
    user, message = private_chat(update)
    wanted = (command_argument(context) or "").lower()
    sessions = sessions_of(context)
    if wanted in LANGUAGES:
        reader = await readers.set_language(
            sessions, user.id, user.language_code, wanted, topic_names_of(context)
        )
        text, markup = await language_chosen(sessions, user.id, reader.language)
        await message.reply_text(text, reply_markup=markup)
        return
    lang = await readers.language_of(sessions, user.id, user.language_code)
    await message.reply_text(
        translate(lang, "Choose your language:"), reply_markup=language_keyboard()
    )


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot does, and the commands this user may use."""
    user, message = private_chat(update)
    services = services_of(context.bot_data)
    lang = await readers.language_of(services.sessions, user.id, user.language_code)
    role = await role_of(services.settings, services.sessions, user.id)
    await message.reply_text(help_text(lang, commands_for(role)))


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: ask first; the button does it."""
    user, message = private_chat(update)
    lang = await readers.language_of(sessions_of(context), user.id, user.language_code)
    await message.reply_text(translate(lang, FORGET_ASK), reply_markup=forget_keyboard(lang))


async def on_command_elsewhere(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reader command in a group: these work in a private chat, so say where."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    lang = await user_language(context, user)
    await message.reply_text(private_only_text(lang, context.bot.username))
