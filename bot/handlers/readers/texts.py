"""What the readers' handlers say, built from the reader's state: the welcome, what a
reader receives, the answers to /subscribe, /unsubscribe and /topics, and /help.

Pure: each function returns HTML in the reader's language and calls neither
Telegram nor the database. A message only one handler says stays beside that
handler as a constant, because the catalog test finds a msgid constant in the
module that passes it to ``translate``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.handlers.readers.keyboards import LANGUAGE_NAMES
from bot.i18n import translate
from bot.newsroom import readers
from bot.newsroom.editions import Editions
from bot.newsroom.readers import Change, Reader

TAIL = "Change it any time with /topics, stop with /stop."
LANGUAGE_SET = "From now on I speak English with you."


def language_set_text(lang: str) -> str:
    """The confirmation of a new language, said in it (/language and its buttons)."""
    return translate(lang, LANGUAGE_SET)


EDITIONS_ASK = "Which editions would you like to receive? Tap one to switch it on or off."


def editions_text(choice: Editions) -> str:
    """What the reader receives, and the question of the editions step."""
    return f"{receiving_editions(choice)}\n\n{translate(choice.language, EDITIONS_ASK)}"


def receiving_editions(choice: Editions) -> str:
    """One line naming the editions the reader receives."""
    names = ", ".join(
        f"<b>{LANGUAGE_NAMES[code]}</b>" for code in choice.published if code in choice.receiving
    )
    return translate(choice.language, "You receive the news in: {editions}.", editions=names)


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


def receiving(reader: Reader) -> str:
    """One line saying what the reader gets now."""
    lang = reader.language
    if reader.everything:
        return translate(lang, "You receive news on every topic.")
    if reader.chosen:
        topics = topic_list(reader, reader.chosen)
        return translate(lang, "You receive news on: {topics}.", topics=topics)
    return translate(lang, "You receive no news at the moment.")


def topic_list(reader: Reader, topics: Sequence[str] | frozenset[str]) -> str:
    """``topics`` by their names in the reader's language, bold, in alphabetical order."""
    names = sorted((reader.name(topic) for topic in topics), key=str.casefold)
    return ", ".join(f"<b>{html.escape(name)}</b>" for name in names)


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
            lang, "Topics you can choose: {topics}.", topics=topic_list(reader, reader.available)
        )
    else:
        rest = translate(lang, "There are no topics yet: /subscribe gives you all the news.")
    return f"{first}\n{rest}"


def _bold(topic: str, reader: Reader) -> str:
    """The topic by its name in the reader's language, whichever name or case they typed."""
    slug = readers.find_topic(topic, [*reader.available, *reader.chosen]) or topic
    return f"<b>{html.escape(reader.name(slug))}</b>"


def topics_text(reader: Reader) -> str:
    lang = reader.language
    if not reader.available:
        first = translate(lang, "There are no topics yet: /subscribe gives you all the news.")
    else:
        first = translate(lang, "Tap a topic to switch it on or off.")
    return f"{first}\n\n{receiving(reader)}"


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
