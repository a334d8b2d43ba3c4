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

from bot.sandbox.entities.links import normalize_url
from bot.sandbox.entities.nesting import clean_nesting
from bot.sandbox.entities.references import decode_entity, decode_references
from bot.sandbox.entities.text import EntityParseError, ParsedText, utf16_len

__all__ = ["parse_html"]

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
_SPACE = " \t\n\r\f\v"
_NAME_END = re.compile(r"[ \t\n\r\f\v>]")
_ATTRIBUTE_END = re.compile(r"[ \t\n\r\f\v=>]")
_MARKUP = re.compile(r"[<&]")
_TG_USER_LINK = re.compile(r"^tg://user\?id=(\d{1,20})$", re.IGNORECASE)


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
                decoded, i2 = decode_entity(self.src, i)
                if decoded is not None:
                    self.emit(decoded)
                    i = i2
                    continue
            if ch != "<":
                # Copy a run of ordinary characters in one go (the hot path).
                special = _MARKUP.search(self.src, i + 1)
                j = special.start() if special else n
                self.emit(self.src[i:j])
                i = j
                continue
            is_start = i + 1 < n and self.src[i + 1] != "/"
            i = self.start_tag(i) if is_start else self.end_tag(i)
        if self.open:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"'
            )
        return ParsedText("".join(self.out), clean_nesting(self.entities))

    def name_end(self, i: int) -> int:
        """Index of the first space or ">" from ``i`` (or the end of the text)."""
        match = _NAME_END.search(self.src, i)
        return match.start() if match else len(self.src)

    def start_tag(self, begin: int) -> int:
        i = self.name_end(begin + 1)
        if not self.char(i):
            raise EntityParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.src[begin + 1 : i].lower()
        if name not in _TAG_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        tag = _OpenTag(name, "", self.utf16, len(self.out))
        while self.char(i) != ">":
            i = self.skip_spaces(i)
            if self.char(i) == ">":
                break
            if not self.char(i):
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            attr_begin = i
            match = _ATTRIBUTE_END.search(self.src, i)
            i = match.start() if match else len(self.src)
            attr = self.src[attr_begin:i].lower()
            if not attr:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            i = self.skip_spaces(i)
            if self.char(i) != "=":
                if name == "blockquote" and attr == "expandable":
                    tag.expandable = True  # the one attribute that takes no value
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            i = self.skip_spaces(i + 1)
            if not self.char(i):
                raise EntityParseError(
                    f'Unclosed start tag "{name}" at byte offset {self.byte_offset(begin)}'
                )
            value, i = self.attribute_value(i, begin)
            if not self.char(i):
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            self.apply_attribute(tag, attr, value)
        if name == "span" and tag.argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.open.append(tag)
        return i + 1

    def skip_spaces(self, i: int) -> int:
        while self.char(i) and self.char(i) in _SPACE:
            i += 1
        return i

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
        end = self.src.find(quote, i + 1)
        if end < 0:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {self.byte_offset(tag_begin)}"
            )
        return decode_references(self.src, i + 1, end), end + 1

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
        i = self.name_end(begin + 2)
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

    def merge_pre_code(self, tag: _OpenTag, offset: int, length: int) -> bool:
        """``<pre><code class="language-x">`` (either nesting) over one range: one pre entity.

        Returns True when the closing tag was folded into the entity just recorded.
        """
        last = self.entities[-1] if self.entities else None
        if last is None or (last["offset"], last["length"]) != (offset, length):
            return False
        if tag.name == "pre" and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
            return True
        if tag.name == "code" and last["type"] == "pre" and tag.argument:
            last["language"] = tag.argument
            return True
        return False

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
            else:
                normalized = normalize_url(url)
                if normalized is None:
                    return  # Telegram drops a link with an unusable URL and keeps its text
                entity["url"] = normalized
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
        elif tag.name in ("pre", "code") and self.merge_pre_code(tag, offset, length):
            return
        elif tag.name == "code" and tag.argument:
            entity["language"] = tag.argument  # kept only until a same-range <pre> claims it
        self.entities.append(entity)


def parse_html(text: str) -> ParsedText:
    """Parse ``text`` as Telegram HTML; raise ``EntityParseError`` like Telegram would."""
    return _Parser(text).run()
