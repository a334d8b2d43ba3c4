"""Character references as TDLib decodes them in text and attribute values.

Only ``&lt; &gt; &amp; &quot;`` and numeric references are decoded; anything
else stays literal.
"""

from __future__ import annotations

from bot.sandbox.entities.text import EntityParseError

__all__ = ["decode_entity", "decode_references"]

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def decode_references(src: str, start: int, end: int) -> str:
    """``src[start:end]`` with its character references decoded (an attribute value)."""
    pieces: list[str] = []
    i = start
    while i < end:
        amp = src.find("&", i, end)
        if amp < 0:
            pieces.append(src[i:end])
            break
        pieces.append(src[i:amp])
        decoded, after = decode_entity(src, amp)
        if decoded is None or after > end:
            pieces.append("&")
            i = amp + 1
        else:
            pieces.append(decoded)
            i = after
    return "".join(pieces)


def decode_entity(src: str, pos: int) -> tuple[str | None, int]:
    """Decode the character reference at ``src[pos] == "&"``, as TDLib does."""
    end = pos + 1
    n = len(src)
    if end < n and src[end] == "#":
        end += 1
        value = 0
        if end < n and src[end] == "x":
            end += 1
            while end < n and src[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(src[end], 16)
                end += 1
                if value >= 0x10FFFF:
                    return None, pos
        else:
            while end < n and src[end].isascii() and src[end].isdigit():
                value = value * 10 + int(src[end])
                end += 1
                if value >= 0x10FFFF:
                    return None, pos
        if value == 0:
            return None, pos
        if 0xD800 <= value <= 0xDFFF:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        decoded = chr(value)
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(src[pos + 1 : end])
        if named is None:
            return None, pos
        decoded = named
    if end < n and src[end] == ";":
        end += 1
    return decoded, end
