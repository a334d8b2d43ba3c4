"""What a Telegram HTML parse yields: visible text, its entities, and the parse error.

Lengths and entity offsets count UTF-16 code units, as Telegram does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "ParsedText", "utf16_len"]

_TRIMMED = " \t\n\r"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is Telegram's detail."""


@dataclass(frozen=True)
class ParsedText:
    """Visible text and the entities Telegram would attach to it."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Length in UTF-16 code units, the unit Telegram's limits are safe to count in."""
        return utf16_len(self.text)

    def strip(self) -> ParsedText:
        """Drop leading and trailing whitespace as Telegram does to a message, moving entities."""
        stripped = self.text.strip(_TRIMMED)
        if stripped == self.text:
            return self
        if not stripped:
            return ParsedText("", [])
        shift = utf16_len(self.text[: len(self.text) - len(self.text.lstrip(_TRIMMED))])
        end = shift + utf16_len(stripped)
        entities = []
        for entity in self.entities:
            start = max(entity["offset"], shift)
            stop = min(entity["offset"] + entity["length"], end)
            if stop > start:
                entities.append({**entity, "offset": start - shift, "length": stop - start})
        return ParsedText(stripped, entities)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
