"""Which entities Telegram lets sit inside which; the rest it drops silently.

Invalid nesting is not an error in Telegram: the offending inner entity is
dropped and its text kept.
"""

from __future__ import annotations

from typing import Any

__all__ = ["clean_nesting"]

# Entities that may contain, and be contained in, anything but code and pre.
_FORMATTING = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})


def _contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    return (
        outer["offset"] <= inner["offset"]
        and inner["offset"] + inner["length"] <= outer["offset"] + outer["length"]
    )


def clean_nesting(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort like Telegram and drop entities nested where Telegram forbids it.

    Formatting entities may sit inside anything except code and pre; nothing may
    sit inside code or pre; blockquotes don't nest; other entities (links, custom
    emoji, ...) can't contain each other.
    """
    # Inner entities close (and are recorded) first, so on equal ranges the later one is outer.
    indexed = sorted(enumerate(entities), key=lambda p: (p[1]["offset"], -p[1]["length"], -p[0]))
    ordered = [entity for _, entity in indexed]
    for entity in ordered:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language outlives only inside <pre>
    kept: list[dict[str, Any]] = []
    for entity in ordered:
        if all(_may_nest(outer, entity) for outer in kept if _contains(outer, entity)):
            kept.append(entity)
    return kept


def _may_nest(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    otype, itype = outer["type"], inner["type"]
    if otype in ("code", "pre"):
        return False
    if otype in _FORMATTING or itype in _FORMATTING:
        return True
    quotes = ("blockquote", "expandable_blockquote")
    if otype in quotes:
        return itype not in quotes
    return False
