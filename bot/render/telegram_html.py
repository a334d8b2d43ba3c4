"""The one builder of Telegram HTML: text spans in, valid parse-mode HTML out.

Nothing from a feed reaches Telegram as markup. Callers describe a post as
:class:`Span` values (plain text, bold, italic, a link); this module escapes
every character Telegram treats as markup, emits only ``<b>``, ``<i>`` and
``<a href>``, drops characters Telegram cannot carry (lone surrogates, control
characters) and measures the visible text the way Telegram counts it, so the
caller can fit a post before it is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

Style = Literal["plain", "bold", "italic"]

_TAGS: dict[Style, tuple[str, str]] = {
    "plain": ("", ""),
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
}
# C0/C1 controls except tab and newline, lone surrogates, and the BOM/noncharacters
# that Telegram strips or rejects; all invisible in a news post.
_UNSENDABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?)]}’”'\"…"
MAX_URL_LENGTH = 2048
# Characters feeds leave unencoded in URLs that would break a link or a button.
_URL_QUOTES = {" ": "%20", '"': "%22", "<": "%3C", ">": "%3E", "\\": "%5C", "`": "%60"}
ELLIPSIS = "…"


@dataclass(frozen=True)
class Span:
    """A run of visible text with one style, optionally a link."""

    text: str
    style: Style = "plain"
    href: str | None = None


def clean_text(text: str) -> str:
    """``text`` without characters Telegram cannot show, line ends normalised."""
    return _UNSENDABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def safe_url(url: str | None) -> str | None:
    """``url`` if Telegram will accept it as a link target (http/https, sane length)."""
    if not url:
        return None
    url = clean_text(url).strip()
    for char, code in _URL_QUOTES.items():
        url = url.replace(char, code)
    if not url or len(url) > MAX_URL_LENGTH or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_text(spans: Iterable[Span]) -> str:
    """The text a reader sees once Telegram has parsed the entities."""
    return "".join(clean_text(span.text) for span in spans)


def visible_length(spans: Iterable[Span]) -> int:
    return telegram_length(visible_text(spans))


def to_html(spans: Sequence[Span]) -> str:
    """Telegram HTML for ``spans``: every span escaped, only supported tags emitted."""
    out: list[str] = []
    for span in spans:
        text = clean_text(span.text)
        if not text:
            continue
        body = _escape_text(text)
        if span.style != "plain" and text.strip():
            opening, closing = _TAGS[span.style]
            body = f"{opening}{body}{closing}"
        href = safe_url(span.href)
        if href and text.strip():
            body = f'<a href="{_escape_attr(href)}">{body}</a>'
        out.append(body)
    return "".join(out)


def linkify(text: str, *, style: Style = "plain", max_links: int = 50) -> list[Span]:
    """``text`` as spans where every http(s) URL becomes a link to itself."""
    spans: list[Span] = []
    position = 0
    for count, match in enumerate(_URL_IN_TEXT.finditer(text)):
        if count >= max_links:
            break
        url = match.group(0).rstrip(_TRAILING_PUNCT)
        start, end = match.start(), match.start() + len(url)
        if start > position:
            spans.append(Span(text[position:start], style))
        spans.append(Span(url, style, href=url if safe_url(url) else None))
        position = end
    if position < len(text):
        spans.append(Span(text[position:], style))
    return spans


def first_url(text: str) -> str | None:
    """The first http(s) URL written in ``text``, as :func:`linkify` would link it."""
    for span in linkify(text):
        if span.href:
            return span.href
    return None


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units at a word boundary, with an ellipsis."""
    text = clean_text(text)
    if telegram_length(text) <= limit:
        return text
    if limit <= 1:
        return ""
    budget = limit - 1  # room for the ellipsis
    cut = _prefix_within(text, budget)
    boundary = cut.rstrip()
    mid_word = cut[-1:].strip() != "" and text[len(cut) : len(cut) + 1].strip() != ""
    if mid_word:
        # Back off to the last whitespace so no word is split; a single giant
        # "word" (a URL, a hashtag run) is cut hard rather than dropped.
        space = max(boundary.rfind(" "), boundary.rfind("\n"))
        if space > 0:
            boundary = boundary[:space]
    boundary = boundary.rstrip(" \n\t,;:—–-")
    return boundary + ELLIPSIS if boundary else ""


def truncate_spans(spans: Sequence[Span], limit: int) -> list[Span]:
    """``spans`` cut to ``limit`` visible units at a word boundary; links are never split."""
    out: list[Span] = []
    used = 0
    for span in spans:
        size = telegram_length(clean_text(span.text))
        if used + size <= limit:
            out.append(span)
            used += size
            continue
        room = limit - used
        if span.href is None:
            cut = truncate(span.text, room)
            if cut:
                out.append(replace(span, text=cut))
        elif room >= 1:
            _end_with_ellipsis(out)
        return out
    return out


def _end_with_ellipsis(out: list[Span]) -> None:
    """Mark a cut made before a link: the previous plain span ends with an ellipsis."""
    if out and out[-1].href is None:
        last = out[-1]
        out[-1] = replace(last, text=last.text.rstrip() + ELLIPSIS)
    else:
        out.append(Span(ELLIPSIS))


def _prefix_within(text: str, units: int) -> str:
    """The longest prefix of ``text`` whose UTF-16 length is at most ``units``."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;")
