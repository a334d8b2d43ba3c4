"""Every text the bot says, in en, ru and kk, from gettext catalogs (Babel).

Catalogs live in ``locales/<lang>/LC_MESSAGES/<domain>.po``, one domain per
audience (posts, readers, editors, admins), so each feature owns its file.
The ``.po`` files are read directly, so there is no compile step to forget.
A message missing from a language falls back to English, then to the msgid.

A message with a count has plural forms (``msgid_plural``; Russian has three,
English and Kazakh two, as each catalog's ``Plural-Forms`` header says):
:func:`translate_plural` picks the form through gettext's ``ngettext`` on the
catalogs Babel reads.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "ru", "kk")
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).parent / "locales"


def normalize_language(code: str | None) -> str:
    """Telegram's ``language_code`` (``ru``, ``kk``, ``en-US``...) to one we speak."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> dict[str, str]:
    """All translated messages of one language, across every domain."""
    messages: dict[str, str] = {}
    folder = LOCALES / language / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and isinstance(message.id, str) and message.string:
                    messages[message.id] = str(message.string)
    return messages


def translate(language: str | None, msgid: str, **values: object) -> str:
    """``msgid`` in ``language``, formatted with ``values`` (``{name}`` placeholders)."""
    lang = normalize_language(language)
    text = catalog(lang).get(msgid) or catalog(DEFAULT_LANGUAGE).get(msgid) or msgid
    return text.format(**values) if values else text


@cache
def plural_catalog(language: str) -> NullTranslations:
    """Every domain of one language as gettext translations, for ``ngettext``.

    Babel compiles each ``.po`` in memory (no compile step to forget); an
    unknown language gets none, so English (the msgids) answers.
    """
    merged: Translations | None = None
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        compiled = io.BytesIO()
        with path.open("rb") as handle:
            write_mo(compiled, read_po(handle, locale=language))
        compiled.seek(0)
        domain = Translations(compiled, domain=path.stem)
        merged = domain if merged is None else merged.merge(domain)
    return merged if merged is not None else NullTranslations()


def translate_plural(
    language: str | None, singular: str, plural: str, n: int, **values: object
) -> str:
    """The form of a counted message that fits ``n`` in ``language``, formatted with ``values``."""
    text = plural_catalog(normalize_language(language)).ngettext(singular, plural, n)
    return text.format(**values) if values else text
