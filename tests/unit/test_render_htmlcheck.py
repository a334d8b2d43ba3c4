"""A strict reading of Telegram's HTML rules, for render tests (and its own tests).

Stricter than Telegram where that is cheap: only the tags a post may use,
balanced and properly nested, only the four named entities and numeric ones,
no "<" or "&" left bare. Returns the visible text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
}
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_NAMED = {"lt", "gt", "amp", "quot"}


class InvalidTelegramHtml(AssertionError):
    pass


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            raise InvalidTelegramHtml(f"unsupported tag <{tag}>")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(("http://", "https://", "tg://")):
                raise InvalidTelegramHtml(f"bad href {href!r}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise InvalidTelegramHtml(f"unbalanced </{tag}> with open {self.stack}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_telegram_html(markup: str) -> str:
    """The visible text of ``markup``; InvalidTelegramHtml if Telegram could refuse it."""
    for match in _ENTITY.finditer(markup):
        name = match.group(1)
        if not name.startswith("#") and name not in _NAMED:
            raise InvalidTelegramHtml(f"unsupported entity &{name};")
    bare = re.sub(r"<[^<>]*>", "", markup)
    if "<" in bare or ">" in bare:
        raise InvalidTelegramHtml("bare < or > in text")
    if re.search(r"&(?!#\d+;|#x[0-9a-fA-F]+;|[a-zA-Z]+;)", bare):
        raise InvalidTelegramHtml("bare & in text")
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    if checker.stack:
        raise InvalidTelegramHtml(f"unclosed {checker.stack}")
    return "".join(checker.text)  # the parser has already decoded the entities


@pytest.mark.parametrize(
    "markup",
    [
        "<div>x</div>",
        "<b>x",
        "a < b",
        "a & b",
        "&nbsp;",
        "<b><i>x</b></i>",
        '<a href="javascript:x">y</a>',
    ],
)
def test_checker_refuses_what_telegram_refuses(markup: str) -> None:
    with pytest.raises(InvalidTelegramHtml):
        check_telegram_html(markup)


def test_checker_returns_visible_text() -> None:
    assert (
        check_telegram_html('<b>A &amp; B</b> <a href="https://x.y/?a=1&amp;b=2">&lt;3</a>')
        == "A & B <3"
    )
