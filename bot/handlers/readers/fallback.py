"""The readers' catch-all: an unknown command or plain text in a private chat gets a
hint, and an unknown command in a group an answer only when it names this bot."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.readers.incoming import private_chat, sessions_of, user_language
from bot.handlers.readers.texts import private_only_text
from bot.i18n import translate
from bot.newsroom import readers

UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
PLAIN_TEXT = "I understand commands only. Send /help to see them, or /topics to choose your news."


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command nobody handles, in a private chat: point to /help."""
    user, message = private_chat(update)
    lang = await readers.language_of(sessions_of(context), user.id, user.language_code)
    await message.reply_text(translate(lang, UNKNOWN_COMMAND))


async def on_plain_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text (or anything else) that is not a command, in a private chat: a hint."""
    user, message = private_chat(update)
    lang = await readers.language_of(sessions_of(context), user.id, user.language_code)
    await message.reply_text(translate(lang, PLAIN_TEXT))


async def on_group_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown command in a group: answer only when it names this bot, else stay out."""
    message = update.effective_message
    username = context.bot.username
    if message is None or not message.text or not username:
        return
    command = message.text.split()[0]
    if command.lower().endswith(f"@{username.lower()}"):
        lang = await user_language(context, update.effective_user)
        await message.reply_text(private_only_text(lang, username))
