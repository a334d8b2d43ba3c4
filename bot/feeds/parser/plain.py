"""Feed text as plain text: titles and names without markup, language tags in one form."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.articles.markup import html_to_text, scrub

_ENTITY_LEFT = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_SPACES = re.compile(r"\s+")


def plain_title(detail: Any, value: str | None) -> str:
    """A title as plain text: tags stripped, entities decoded (a double-escaped one too).

    Titles are read as HTML whatever type feedparser guessed: it marks escaped
    markup as text/plain yet leaves its entities encoded.
    """
    del detail  # see above: the declared type cannot be trusted for titles
    text = value or ""
    text = html_to_text(text).replace("\n", " ") if "<" in text else html.unescape(text)
    if _ENTITY_LEFT.search(text):
        # Publishers often escape titles twice; "&quot;" is never what they meant.
        text = html.unescape(text)
    return _SPACES.sub(" ", scrub(text)).strip()


def language_tag(value: str | None) -> str | None:
    """A language as one lower-case, hyphenated tag (``en_US`` -> ``en-us``), or None."""
    text = (value or "").strip().replace("_", "-").lower()
    return text[:16] or None
