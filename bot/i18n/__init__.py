"""Every text the bot says, in en, ru and kk, from gettext catalogs (Babel).

Catalogs live in ``locales/<lang>/LC_MESSAGES/<domain>.po``, one domain per
audience (posts, readers, editors, admins), so each feature owns its file.
The ``.po`` files are read directly, so there is no compile step to forget.
A message missing from a language falls back to English, then to the msgid.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

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
