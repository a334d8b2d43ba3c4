"""Telegram's HTML parse mode, reimplemented as a pure function.

This follows the behaviour of TDLib's ``parse_html`` (the code behind
``parse_mode=HTML`` on api.telegram.org): the same tag set, the same entity
decoding (only ``&lt; &gt; &amp; &quot;`` and numeric references; anything else
stays literal), the same error details with UTF-8 *byte* offsets, and entity
offsets/lengths in UTF-16 code units. Invalid nesting is not an error in
Telegram: the offending inner entity is silently dropped, and so it is here.

The emulator uses it to accept or reject what the bot sends, and renderer tests
call it directly to check that every post they produce would be accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "ParsedText", "parse_html", "utf16_len"]

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# Entities that may contain, and be contained in, anything but code and pre.
_FORMATTING = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_SPACE = " \t\n\r\f\v"
_TRIMMED = " \t\n\r"
_TG_USER_LINK = re.compile(r"^tg://user\?id=(\d{1,20})$", re.IGNORECASE)
_URL_SCHEME = re.compile(r"^(https?|tg|ftp)://", re.IGNORECASE)


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
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the visible text
    start: int  # index into the visible-text piece list
    expandable: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class _Parser:
    """One pass over the markup, in the order TDLib reads it."""

    def __init__(self, markup: str) -> None:
        self.src = markup
        self.out: list[str] = []
        self.utf16 = 0
        self.open: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def char(self, index: int) -> str:
        """The character at ``index``, or "" past the end (TDLib's NUL terminator)."""
        return self.src[index] if index < len(self.src) else ""

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)

    def run(self) -> ParsedText:
        i, n = 0, len(self.src)
        while i < n:
            ch = self.src[i]
            if ch == "&":
                decoded, i2 = _decode_entity(self.src, i)
                if decoded is not None:
                    self.emit(decoded)
                    i = i2
                    continue
            if ch != "<":
                # Copy a run of ordinary characters in one go (the hot path).
                j = i + 1
                while j < n and self.src[j] not in "<&":
                    j += 1
                self.emit(self.src[i:j])
                i = j
                continue
            is_start = i + 1 < n and self.src[i + 1] != "/"
            i = self.start_tag(i) if is_start else self.end_tag(i)
        if self.open:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"'
            )
        return ParsedText("".join(self.out), _clean_nesting(self.entities))

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.char(i) and self.char(i) not in _SPACE and self.char(i) != ">":
            i += 1
        if not self.char(i):
            raise EntityParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.src[begin + 1 : i].lower()
        if name not in _TAG_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        tag = _OpenTag(name, "", self.utf16, len(self.out))
        while self.char(i) != ">":
            while self.char(i) and self.char(i) in _SPACE:
                i += 1
            if self.char(i) == ">":
                break
            attr_begin = i
            while self.char(i) and self.char(i) not in _SPACE and self.char(i) not in "=>":
                i += 1
            attr = self.src[attr_begin:i].lower()
            if not attr:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            while self.char(i) and self.char(i) in _SPACE:
                i += 1
            if self.char(i) != "=":
                if not self.char(i):
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                    )
                if name == "blockquote" and attr == "expandable":
                    tag.expandable = True
                continue
            i += 1
            while self.char(i) and self.char(i) in _SPACE:
                i += 1
            if not self.char(i):
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            value, i = self.attribute_value(i, begin)
            self.apply_attribute(tag, attr, value)
        if name == "span" and tag.argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.open.append(tag)
        return i + 1

    def attribute_value(self, i: int, tag_begin: int) -> tuple[str, int]:
        quote = self.char(i)
        if quote not in ("'", '"'):
            token_begin = i
            while self.char(i) and (
                (self.char(i).isascii() and self.char(i).isalnum()) or self.char(i) in ".-"
            ):
                i += 1
            if self.char(i) not in (*_SPACE, ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_begin)}"
                )
            return self.src[token_begin:i].lower(), i
        i += 1
        value: list[str] = []
        while self.char(i) and self.char(i) != quote:
            if self.char(i) == "&":
                decoded, i2 = _decode_entity(self.src, i)
                if decoded is not None:
                    value.append(decoded)
                    i = i2
                    continue
            value.append(self.src[i])
            i += 1
        if self.char(i) != quote:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {self.byte_offset(tag_begin)}"
            )
        return "".join(value), i + 1

    @staticmethod
    def apply_attribute(tag: _OpenTag, attr: str, value: str) -> None:
        if tag.name == "a" and attr == "href":
            tag.argument = value
        elif tag.name == "code" and attr == "class" and value.startswith("language-"):
            tag.argument = value[len("language-") :]
        elif tag.name == "span" and attr == "class" and value.startswith("tg-"):
            tag.argument = value[len("tg-") :]
        elif tag.name == "tg-emoji" and attr == "emoji-id":
            tag.argument = value
        elif tag.name == "tg-time" and attr == "unix":
            tag.extra["unix"] = value
        elif tag.name == "tg-time" and attr == "format":
            tag.extra["date_time_format"] = value

    def end_tag(self, begin: int) -> int:
        if not self.open:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while self.char(i) and self.char(i) not in _SPACE and self.char(i) != ">":
            i += 1
        end_name = self.src[begin + 2 : i].lower()
        while self.char(i) and self.char(i) in _SPACE:
            i += 1
        if self.char(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        tag = self.open[-1]
        if end_name and end_name != tag.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        self.open.pop()
        if self.utf16 > tag.offset:
            self.close_entity(tag)
        return i + 1

    def close_entity(self, tag: _OpenTag) -> None:
        offset, length = tag.offset, self.utf16 - tag.offset
        kind = _TAG_TYPES[tag.name]
        entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
        if tag.name == "a":
            url = tag.argument or "".join(self.out[tag.start :])
            user = _TG_USER_LINK.match(url)
            if user:
                entity["type"] = "text_mention"
                entity["user"] = {"id": int(user.group(1)), "is_bot": False, "first_name": ""}
            elif _URL_SCHEME.match(url) or ("://" not in url and "." in url):
                entity["url"] = url if "://" in url else f"http://{url}"
            else:
                return  # Telegram drops a link with an unusable URL and keeps its text
        elif tag.name == "blockquote" and tag.expandable:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit():
                raise EntityParseError("Custom emoji identifier must be non-empty")
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "tg-time":
            unix = tag.extra.get("unix", "")
            if not unix.isdigit():
                raise EntityParseError("Invalid Unix time specified")
            entity["unix_time"] = int(unix)
            if tag.extra.get("date_time_format"):
                entity["date_time_format"] = tag.extra["date_time_format"]
        elif tag.name == "code" and tag.argument:
            parent = self.open[-1] if self.open else None
            if parent is not None and parent.name == "pre" and parent.offset == offset:
                parent.argument = tag.argument
        elif tag.name == "pre" and tag.argument:
            # <pre><code class="language-x">…</code></pre>: one pre entity with a language,
            # provided the code covers the whole pre block.
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == offset
                and last["length"] == length
            ):
                self.entities.pop()
            entity["language"] = tag.argument
        self.entities.append(entity)


def _decode_entity(src: str, pos: int) -> tuple[str | None, int]:
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
        if value == 0 or 0xD800 <= value <= 0xDFFF:
            return None, pos
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


def _contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    return (
        outer["offset"] <= inner["offset"]
        and inner["offset"] + inner["length"] <= outer["offset"] + outer["length"]
    )


def _clean_nesting(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort like Telegram and drop entities nested where Telegram forbids it.

    Formatting entities may sit inside anything except code and pre; nothing may
    sit inside code or pre; blockquotes don't nest; other entities (links, custom
    emoji, ...) can't contain each other.
    """
    # Inner entities close (and are recorded) first, so on equal ranges the later one is outer.
    indexed = sorted(enumerate(entities), key=lambda p: (p[1]["offset"], -p[1]["length"], -p[0]))
    ordered = [entity for _, entity in indexed]
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


def parse_html(text: str) -> ParsedText:
    """Parse ``text`` as Telegram HTML; raise ``EntityParseError`` like Telegram would."""
    return _Parser(text).run()
