"""The readers' inline keyboards and their callback data: the welcome's choice, the
topic menu, the languages and the /forget question.

Every button's data starts with ``PREFIX``, which is how the button handler is
routed, and stays within Telegram's 64 bytes (a long topic travels as a hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from bot.i18n import translate
from bot.newsroom.editions import Editions
from bot.newsroom.readers import ALL_TOPICS, Reader

PREFIX = "r:"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}  # each in itself
MAX_TOPIC_BUTTONS = 90  # Telegram allows 100 buttons; room for "All topics" and "Done"
TOPICS_PER_ROW = 2


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


def topics_keyboard(reader: Reader) -> InlineKeyboardMarkup:
    """All topics first, then the topics by name, two to a row, each ✅ when chosen, then Done."""
    lang = reader.language
    rows = [[_topic_button(translate(lang, "All topics"), ALL_TOPICS, reader.everything)]]
    topics = {*reader.available, *(reader.chosen - {ALL_TOPICS})}
    shown = sorted(topics, key=lambda topic: reader.name(topic).casefold())
    buttons = [
        _topic_button(reader.name(topic), topic, reader.everything or topic in reader.chosen)
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


def editions_keyboard(choice: Editions) -> InlineKeyboardMarkup:
    """The /language step after the language: each edition the outlet has, ✅ when received."""
    row = [
        InlineKeyboardButton(
            f"✅ {LANGUAGE_NAMES[code]}" if code in choice.receiving else LANGUAGE_NAMES[code],
            callback_data=f"{PREFIX}ed:{code}",
        )
        for code in choice.published
    ]
    done = InlineKeyboardButton(translate(choice.language, "Done"), callback_data=f"{PREFIX}eddone")
    return InlineKeyboardMarkup([row, [done]])


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
