"""Which editions (en, ru, kk) a reader receives: the default, and the reader's own choice.

The fan-out (``storage.deliveries.enqueue_post``) applies the same default in
SQL; :func:`receiving` is the rule as a value, for what the reader is shown.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.i18n import LANGUAGES
from storage.chats import chat_by_telegram_id
from storage.db import SessionFactory
from storage.feeds import editions as published_editions
from storage.subscriptions import editions_of, set_editions


@dataclass(frozen=True)
class Editions:
    """A reader's editions as the /language step shows them."""

    language: str  # the reader's interface language
    published: tuple[str, ...]  # the editions the outlet has
    receiving: frozenset[str]  # what the reader gets now
    chosen: bool  # the reader chose (else the default applies)

    @property
    def choice_matters(self) -> bool:
        """Whether there is anything to choose: the outlet has more than one edition."""
        return len(self.published) > 1


def receiving(chosen: Collection[str], language: str, published: Sequence[str]) -> frozenset[str]:
    """The editions a reader receives: those chosen, else their language's, else every one."""
    if chosen:
        return frozenset(chosen)
    if language in published:
        return frozenset({language})
    return frozenset(published)


def toggled(current: frozenset[str], edition: str) -> frozenset[str]:
    """A press on ``edition``: switch it off or on; the last one stays (/stop stops the news)."""
    if edition not in current:
        return current | {edition}
    return current - {edition} or current


async def editions(sessions: SessionFactory, telegram_id: int, language: str) -> Editions:
    """The reader's editions and the outlet's (a reader not known yet gets the default)."""
    async with sessions() as session:
        chat = await chat_by_telegram_id(session, telegram_id)
        chosen = await editions_of(session, chat.id) if chat is not None else set()
        found = set(await published_editions(session))
    published = tuple(code for code in LANGUAGES if code in found)  # en, ru, kk: the menu's order
    lang = chat.language if chat is not None else language
    return Editions(lang, published, receiving(chosen, lang, published), bool(chosen))


async def toggle_edition(
    sessions: SessionFactory, telegram_id: int, language: str, edition: str
) -> Editions | None:
    """An edition button: switch it for a known reader; None when the edition is not published."""
    before = await editions(sessions, telegram_id, language)
    if edition not in before.published:
        return None
    after = toggled(before.receiving, edition)
    async with sessions() as session, session.begin():
        chat = await chat_by_telegram_id(session, telegram_id)
        if chat is None:
            return None
        await set_editions(session, chat.id, after)
    return Editions(before.language, before.published, after, True)
