"""The readers' buttons: every ``r:`` press is dispatched on its action (subscribe to
all, open the topic menu, toggle a topic, done, language, forget), and a press that
means nothing (any more) gets a short, polite answer.

Each edits the button's message in place and answers the press last.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.handlers.readers.incoming import sessions_of, topic_names_of
from bot.handlers.readers.keyboards import (
    PREFIX,
    editions_keyboard,
    topic_from_token,
    topics_keyboard,
)
from bot.handlers.readers.texts import (
    TAIL,
    editions_text,
    language_set_text,
    receiving,
    receiving_editions,
    subscribe_text,
    topics_text,
)
from bot.i18n import LANGUAGES, translate
from bot.newsroom import editions, readers
from storage.db import SessionFactory

log = logging.getLogger(__name__)

STALE = "This button is out of date. Please send the command again."
FORGOTTEN = "Done: I have forgotten you. If you write to me again, you start afresh."


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
    lang = await readers.language_of(sessions_of(context), user.id, user.language_code)
    log.info("stale or unknown button user_id=%s data=%r", user.id, (query.data or "")[:64])
    await query.answer(translate(lang, STALE))


async def _button_subscribe_all(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The welcome's "All topics": subscribe to every topic."""
    user = query.from_user
    change, reader = await readers.subscribe(
        sessions_of(context), user.id, user.language_code, None, topic_names_of(context)
    )
    await edit(query, subscribe_text(reader, change, None))


async def _button_choose(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The welcome's "Choose topics": turn the message into the topic menu."""
    user = query.from_user
    reader = await readers.topics(
        sessions_of(context), user.id, user.language_code, topic_names_of(context)
    )
    await edit(query, topics_text(reader), topics_keyboard(reader))


async def _button_toggle(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """A topic in the menu: switch it on or off and redraw the menu."""
    user = query.from_user
    sessions = sessions_of(context)
    reader = await readers.topics(sessions, user.id, user.language_code, topic_names_of(context))
    topic = topic_from_token(argument, [*reader.available, *reader.chosen])
    if topic is None:
        # A topic that is gone: say so, and show the menu as it is now.
        notice = translate(reader.language, STALE)
        await edit(query, topics_text(reader), topics_keyboard(reader), notice=notice)
        return
    reader = await readers.toggle_topic(
        sessions, user.id, user.language_code, topic, topic_names_of(context)
    )
    await edit(query, topics_text(reader), topics_keyboard(reader))


async def _button_done(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The menu's "Done": replace it with what the reader now receives."""
    user = query.from_user
    reader = await readers.topics(
        sessions_of(context), user.id, user.language_code, topic_names_of(context)
    )
    await edit(query, "\n\n".join((receiving(reader), translate(reader.language, TAIL))))


async def _button_language(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """A language button: switch, and confirm in the new language."""
    user = query.from_user
    if argument not in LANGUAGES:
        await refuse_button_query(query, context)
        return
    sessions = sessions_of(context)
    reader = await readers.set_language(
        sessions, user.id, user.language_code, argument, topic_names_of(context)
    )
    await edit(query, *await language_chosen(sessions, user.id, reader.language))


async def language_chosen(
    sessions: SessionFactory, telegram_id: int, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The confirmation of a new language, then the editions step when there is a choice."""
    choice = await editions.editions(sessions, telegram_id, language)
    if not choice.choice_matters:
        return language_set_text(language), None
    text = f"{language_set_text(language)}\n\n{editions_text(choice)}"
    return text, editions_keyboard(choice)


async def _button_edition(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """An edition in the /language step: switch it on or off and redraw the step."""
    user = query.from_user
    lang = await readers.language_of(sessions_of(context), user.id, user.language_code)
    choice = await editions.toggle_edition(sessions_of(context), user.id, lang, argument)
    if choice is None:
        await refuse_button_query(query, context)
        return
    await edit(query, editions_text(choice), editions_keyboard(choice))


async def _button_editions_done(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The editions step's "Done": replace it with the editions the reader now receives."""
    user = query.from_user
    lang = await readers.language_of(sessions_of(context), user.id, user.language_code)
    choice = await editions.editions(sessions_of(context), user.id, lang)
    await edit(query, receiving_editions(choice))


async def _button_forget(
    query: CallbackQuery, argument: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The /forget question's answer: forget the reader, or keep everything."""
    user = query.from_user
    sessions = sessions_of(context)
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
    "ed": _button_edition,
    "eddone": _button_editions_done,
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
