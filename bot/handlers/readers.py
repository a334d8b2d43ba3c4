"""Handlers for readers: /start, /subscribe, /unsubscribe, /topics, /language, /help,
/stop, /forget, the buttons under those messages, and the catch-all hint.

Each handler parses the update, calls a service in ``bot.newsroom.readers`` and replies
in the reader's language. Reader commands work in a private chat; in a group
they answer with a link to one. Callback data all start with ``r:`` and stay
under Telegram's 64 bytes; anything else that reaches the catch-all is a
stale or foreign button and gets a short answer.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import InlineKeyboardButtonLimit
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers import editors, membership
from bot.handlers.admins import registration as admins
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalize_language, translate
from bot.newsroom import readers
from bot.newsroom.readers import ALL_TOPICS, Change, Reader
from bot.newsroom.roles import Role, role_of
from bot.newsroom.services import services_of
from storage.db import SessionFactory

log = logging.getLogger(__name__)

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

PREFIX = "r:"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}  # each in itself
MAX_TOPIC_BUTTONS = 90  # Telegram allows 100 buttons; room for "All topics" and "Done"
TOPICS_PER_ROW = 2


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


async def publish_command_menus(bot: Bot) -> None:
    """Telegram's command menu for readers, in each language (the default one in English).

    Call once at start-up; Telegram keeps the menus, so a failure here only
    leaves the previous ones in place.
    """
    for language in LANGUAGES:
        menu = [BotCommand(name, translate(language, text)) for name, text in COMMANDS]
        code = None if language == DEFAULT_LANGUAGE else language
        await bot.set_my_commands(menu, language_code=code)


# --------------------------------------------------------------- commands


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome a reader, with the subscribe choice unless they already have topics."""
    user, message = _private(update)
    reader = await readers.start(_sessions(context), user.id, user.language_code)
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
    user, message = _private(update)
    topic = _argument(context)
    change, reader = await readers.subscribe(_sessions(context), user.id, user.language_code, topic)
    await message.reply_text(subscribe_text(reader, change, topic))


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe [topic]."""
    user, message = _private(update)
    topic = _argument(context)
    change, reader = await readers.unsubscribe(
        _sessions(context), user.id, user.language_code, topic
    )
    await message.reply_text(unsubscribe_text(reader, change, topic))


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stop: unsubscribe from everything."""
    user, message = _private(update)
    change, reader = await readers.unsubscribe(
        _sessions(context), user.id, user.language_code, None
    )
    await message.reply_text(unsubscribe_text(reader, change, None))


async def on_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: the topic buttons, showing the current choice."""
    user, message = _private(update)
    reader = await readers.topics(_sessions(context), user.id, user.language_code)
    await message.reply_text(topics_text(reader), reply_markup=topics_keyboard(reader))


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language [en|ru|kk]: set it directly, or offer the three buttons."""
    user, message = _private(update)
    wanted = (_argument(context) or "").lower()
    sessions = _sessions(context)
    if wanted in LANGUAGES:
        reader = await readers.set_language(sessions, user.id, user.language_code, wanted)
        await message.reply_text(translate(reader.language, LANGUAGE_SET))
        return
    lang = await readers.language_of(sessions, user.id, user.language_code)
    await message.reply_text(
        translate(lang, "Choose your language:"), reply_markup=language_keyboard()
    )


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot does, and the commands this user may use."""
    user, message = _private(update)
    services = services_of(context.bot_data)
    lang = await readers.language_of(services.sessions, user.id, user.language_code)
    role = await role_of(services.settings, services.sessions, user.id)
    await message.reply_text(help_text(lang, commands_for(role)))


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: ask first; the button does it."""
    user, message = _private(update)
    lang = await readers.language_of(_sessions(context), user.id, user.language_code)
    await message.reply_text(translate(lang, FORGET_ASK), reply_markup=forget_keyboard(lang))


async def on_command_elsewhere(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reader command in a group: these work in a private chat, so say where."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    lang = await _language_of(context, user)
    await message.reply_text(private_only_text(lang, context.bot.username))


# --------------------------------------------------------------- buttons


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every ``r:`` button: dispatch on the action, refuse what is stale or forged."""
    query = update.callback_query
    assert query is not None and query.data is not None
    action, _, argument = query.data[len(PREFIX) :].partition(":")
    handler = BUTTONS.get(action)
    if handler is None:
        await refuse_button(update, context)
        return
    await handler(query, argument, context)


async def on_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button nobody else handled (an old keyboard, or forged data)."""
    await refuse_button(update, context)


async def refuse_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse the update's button press, if it is one."""
    if update.callback_query is not None:
        await refuse_button_query(update.callback_query, context)


async def refuse_button_query(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short, polite answer to a button that means nothing (any more)."""
    user = query.from_user
    lang = await readers.language_of(_sessions(context), user.id, user.language_code)
    log.info("stale or unknown button user_id=%s data=%r", user.id, (query.data or "")[:64])
    await query.answer(translate(lang, STALE))


async def _button_subscribe_all(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The welcome's "All topics": subscribe to every topic."""
    user = query.from_user
    change, reader = await readers.subscribe(_sessions(context), user.id, user.language_code, None)
    await edit(query, subscribe_text(reader, change, None))


async def _button_choose(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The welcome's "Choose topics": turn the message into the topic menu."""
    user = query.from_user
    reader = await readers.topics(_sessions(context), user.id, user.language_code)
    await edit(query, topics_text(reader), topics_keyboard(reader))


async def _button_toggle(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """A topic in the menu: switch it on or off and redraw the menu."""
    user = query.from_user
    sessions = _sessions(context)
    reader = await readers.topics(sessions, user.id, user.language_code)
    topic = topic_from_token(argument, [*reader.available, *reader.chosen])
    if topic is None:
        # A topic that is gone: say so, and show the menu as it is now.
        notice = translate(reader.language, STALE)
        await edit(query, topics_text(reader), topics_keyboard(reader), notice=notice)
        return
    reader = await readers.toggle_topic(sessions, user.id, user.language_code, topic)
    await edit(query, topics_text(reader), topics_keyboard(reader))


async def _button_done(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The menu's "Done": replace it with what the reader now receives."""
    user = query.from_user
    reader = await readers.topics(_sessions(context), user.id, user.language_code)
    await edit(query, "\n\n".join((receiving(reader), translate(reader.language, TAIL))))


async def _button_language(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """A language button: switch, and confirm in the new language."""
    user = query.from_user
    if argument not in LANGUAGES:
        await refuse_button_query(query, context)
        return
    reader = await readers.set_language(_sessions(context), user.id, user.language_code, argument)
    await edit(query, translate(reader.language, LANGUAGE_SET))


async def _button_forget(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The /forget question's answer: forget the reader, or keep everything."""
    user = query.from_user
    sessions = _sessions(context)
    lang = await readers.language_of(sessions, user.id, user.language_code)
    if argument == "no":
        await edit(query, translate(lang, "Nothing was deleted."))
        return
    if argument != "yes":
        await refuse_button_query(query, context)
        return
    forgotten = await readers.forget(sessions, user.id)
    if forgotten:
        await edit(query, translate(lang, FORGOTTEN))
    else:
        await edit(query, translate(lang, "I store nothing about you."))


ButtonHandler = Callable[[CallbackQuery, str, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
BUTTONS: dict[str, ButtonHandler] = {
    "all": _button_subscribe_all,
    "pick": _button_choose,
    "t": _button_toggle,
    "done": _button_done,
    "lang": _button_language,
    "forget": _button_forget,
}


async def edit(
    query: CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    notice: str | None = None,
) -> None:
    """Edit the button's message in place, then answer the press (with ``notice``, if any).

    An identical edit ("message is not modified") counts as done, and so does
    a message the reader deleted meanwhile: the choice is stored either way.
    Answering last tells Telegram, and whoever waits on it, that the work is
    finished.
    """
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if not any(harmless in exc.message.lower() for harmless in HARMLESS_EDIT_ERRORS):
            raise
        log.info("button message not edited reason=%r", exc.message)
    await query.answer(notice)


HARMLESS_EDIT_ERRORS = ("message is not modified", "message to edit not found")


# --------------------------------------------------------------- fallback


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command nobody handles, in a private chat: point to /help."""
    user, message = _private(update)
    lang = await readers.language_of(_sessions(context), user.id, user.language_code)
    await message.reply_text(translate(lang, UNKNOWN_COMMAND))


async def on_plain_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text (or anything else) that is not a command, in a private chat: a hint."""
    user, message = _private(update)
    lang = await readers.language_of(_sessions(context), user.id, user.language_code)
    await message.reply_text(translate(lang, PLAIN_TEXT))


async def on_group_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown command in a group: answer only when it names this bot, else stay out."""
    message = update.effective_message
    username = context.bot.username
    if message is None or not message.text or not username:
        return
    command = message.text.split()[0]
    if command.lower().endswith(f"@{username.lower()}"):
        lang = await _language_of(context, update.effective_user)
        await message.reply_text(private_only_text(lang, username))


# --------------------------------------------------------------- texts and keyboards

TAIL = "Change it any time with /topics, stop with /stop."
STALE = "This button is out of date. Please send the command again."
LANGUAGE_SET = "From now on I speak English with you."
FORGET_ASK = "This deletes your subscriptions and everything I store about you. Delete it all?"
FORGOTTEN = "Done: I have forgotten you. If you write to me again, you start afresh."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
PLAIN_TEXT = "I understand commands only. Send /help to see them, or /topics to choose your news."


def welcome_text(lang: str) -> str:
    return "\n\n".join(
        (
            translate(
                lang,
                "Hello! I send the news here as soon as it is published, "
                "in English, Russian or Kazakh.",
            ),
            translate(lang, "What would you like to receive?"),
        )
    )


def welcome_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(translate(lang, "All topics"), callback_data=f"{PREFIX}all"),
                InlineKeyboardButton(
                    translate(lang, "Choose topics"), callback_data=f"{PREFIX}pick"
                ),
            ]
        ]
    )


def receiving(reader: Reader) -> str:
    """One line saying what the reader gets now."""
    lang = reader.language
    if reader.everything:
        return translate(lang, "You receive news on every topic.")
    if reader.chosen:
        return translate(lang, "You receive news on: {topics}.", topics=topic_list(reader.chosen))
    return translate(lang, "You receive no news at the moment.")


def topic_list(topics: Sequence[str] | frozenset[str]) -> str:
    return ", ".join(f"<b>{html.escape(topic)}</b>" for topic in sorted(topics, key=str.casefold))


def subscribe_text(reader: Reader, change: Change, topic: str | None) -> str:
    lang = reader.language
    if change is Change.UNKNOWN_TOPIC:
        return unknown_topic_text(reader, topic or "")
    if change is Change.UNCHANGED:
        first = translate(lang, "You were already subscribed to that.")
    elif topic is None or reader.everything:
        first = translate(lang, "You are now subscribed to every topic.")
    else:
        first = translate(lang, "You are now subscribed to {topic}.", topic=_bold(topic, reader))
    return "\n\n".join((first, receiving(reader), translate(lang, TAIL)))


def unsubscribe_text(reader: Reader, change: Change, topic: str | None) -> str:
    lang = reader.language
    if change is Change.UNKNOWN_TOPIC:
        return unknown_topic_text(reader, topic or "")
    if topic is None or (change is Change.DONE and not reader.chosen):
        return translate(
            lang, "You will receive no more news. Send /subscribe whenever you want it back."
        )
    if change is Change.UNCHANGED:
        first = translate(lang, "You were not subscribed to {topic}.", topic=_bold(topic, reader))
    else:
        first = translate(lang, "You are unsubscribed from {topic}.", topic=_bold(topic, reader))
    return "\n\n".join((first, receiving(reader)))


def unknown_topic_text(reader: Reader, topic: str) -> str:
    lang = reader.language
    first = translate(lang, "There is no topic “{topic}”.", topic=html.escape(topic))
    if reader.available:
        rest = translate(
            lang, "Topics you can choose: {topics}.", topics=topic_list(reader.available)
        )
    else:
        rest = translate(lang, "There are no topics yet: /subscribe gives you all the news.")
    return f"{first}\n{rest}"


def _bold(topic: str, reader: Reader) -> str:
    """The topic as the feeds spell it, when the reader typed it in another case."""
    known = readers.find_topic(topic, [*reader.available, *reader.chosen]) or topic
    return f"<b>{html.escape(known)}</b>"


def topics_text(reader: Reader) -> str:
    lang = reader.language
    if not reader.available:
        first = translate(lang, "There are no topics yet: /subscribe gives you all the news.")
    else:
        first = translate(lang, "Tap a topic to switch it on or off.")
    return f"{first}\n\n{receiving(reader)}"


def topics_keyboard(reader: Reader) -> InlineKeyboardMarkup:
    """All topics first, then the feeds' topics two to a row, each ✅ when chosen, then Done."""
    lang = reader.language
    rows = [[_topic_button(translate(lang, "All topics"), ALL_TOPICS, reader.everything)]]
    shown = sorted({*reader.available, *(reader.chosen - {ALL_TOPICS})}, key=str.casefold)
    buttons = [
        _topic_button(topic, topic, reader.everything or topic in reader.chosen)
        for topic in shown[:MAX_TOPIC_BUTTONS]
    ]
    rows += [buttons[i : i + TOPICS_PER_ROW] for i in range(0, len(buttons), TOPICS_PER_ROW)]
    rows.append([InlineKeyboardButton(translate(lang, "Done"), callback_data=f"{PREFIX}done")])
    return InlineKeyboardMarkup(rows)


def _topic_button(label: str, topic: str, chosen: bool) -> InlineKeyboardButton:
    text = f"✅ {label}" if chosen else label
    return InlineKeyboardButton(text, callback_data=f"{PREFIX}t:{topic_token(topic)}")


def topic_token(topic: str) -> str:
    """The topic as callback data carries it: itself when it fits in 64 bytes, else a hash."""
    fits = len(f"{PREFIX}t:{topic}".encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    if fits and not topic.startswith("#"):  # "#" marks a hash, so a topic can't look like one
        return topic
    return "#" + hashlib.sha256(topic.encode()).hexdigest()[:16]


def topic_from_token(token: str, known: Sequence[str]) -> str | None:
    """The topic a button's token stands for, or None when no such topic exists (any more)."""
    if token == ALL_TOPICS:
        return ALL_TOPICS
    return next((topic for topic in known if topic_token(topic) == token), None)


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=f"{PREFIX}lang:{code}")
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


def forget_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    translate(lang, "Yes, delete"), callback_data=f"{PREFIX}forget:yes"
                ),
                InlineKeyboardButton(translate(lang, "Cancel"), callback_data=f"{PREFIX}forget:no"),
            ]
        ]
    )


def commands_for(role: Role) -> tuple[tuple[str, str], ...]:
    """The commands a user with ``role`` may use: readers', then editors', then admins'."""
    found = list(COMMANDS)
    if role >= Role.EDITOR:
        found += editors.COMMANDS
    if role >= Role.ADMIN:
        found += admins.COMMANDS
    return tuple(dict(found).items())


def help_text(lang: str, commands: Sequence[tuple[str, str]]) -> str:
    lines = [
        translate(
            lang, "I send news from the newsroom's feeds to this chat, on the topics you choose."
        ),
        "",
        translate(lang, "Commands:"),
    ]
    lines += [
        f"/{name} — {html.escape(translate(lang, description))}" for name, description in commands
    ]
    return "\n".join(lines)


def private_only_text(lang: str, bot_username: str | None) -> str:
    link = f"https://t.me/{bot_username}" if bot_username else "@"
    return translate(lang, "This works in a private chat with me: {link}", link=link)


# --------------------------------------------------------------- helpers


def _private(update: Update) -> tuple[User, Message]:
    """The user and message of a private-chat update (the filters guarantee both)."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    return user, message


def _argument(context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The command's argument, words joined (a topic can have spaces), or None."""
    text = " ".join(context.args or []).strip()
    return text or None


def _sessions(context: ContextTypes.DEFAULT_TYPE) -> SessionFactory:
    return services_of(context.bot_data).sessions


async def _language_of(context: ContextTypes.DEFAULT_TYPE, user: User | None) -> str:
    """A user's language: the one they chose if they are a reader, else their Telegram's."""
    if user is None:
        return normalize_language(None)
    return await readers.language_of(_sessions(context), user.id, user.language_code)
