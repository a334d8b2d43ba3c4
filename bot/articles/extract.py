"""An article page's main text and metadata. Pure CPU work: call it in a thread.

trafilatura finds the main text; the page's own ``<meta>`` tags, read from
everywhere in the document, give the photo (og:image first) and the
headlines that the summary must not repeat. Pages are decoded here, not by
lxml, whose fallback to Latin-1 ruins Cyrillic: the HTTP header's charset,
then the page's, then detection, each checked against the bytes.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
from dataclasses import dataclass
from types import ModuleType

import charset_normalizer
import lxml.etree
import lxml.html

from bot.articles.chrome import credit_of
from bot.articles.markup import PageMeta, element_text, page_meta, scrub


@functools.cache
def _trafilatura() -> ModuleType | None:
    """trafilatura, imported on the first page read: it weighs tens of MB a bot may never use."""
    try:
        import trafilatura
    except ImportError:  # trafilatura needs lxml_html_clean, which some lxml installs lack
        return None
    return trafilatura


log = logging.getLogger(__name__)

_HEADER_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9._:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9._:-]+)", re.I)
# Charsets that decode any bytes, so success proves nothing: a page that is
# valid UTF-8 but declares one of these is UTF-8 mislabelled.
_PERMISSIVE = {"iso8859-1", "latin-1", "cp1252", "ascii", "iso8859-15"}
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Page:
    """What an article page says, for the summary and the photo."""

    text: str  # main text, one paragraph a line
    meta: PageMeta
    headlines: tuple[str, ...]  # og:title, <h1>, <title>: lines the summary must skip
    credit: str | None = None  # a photo credit anywhere on the page (extractors drop them)


def decode_page(body: bytes, content_type: str | None = None) -> str:
    """The page as text: declared charsets first (checked), then detection.

    A declared single-byte Western charset proves nothing (any bytes decode),
    so it is trusted only when neither UTF-8 nor detection has a better answer.
    """
    declared = []
    header = _HEADER_CHARSET.search(content_type or "")
    if header:
        declared.append(header.group(1))
    meta = _META_CHARSET.search(body[:8192])
    if meta:
        declared.append(meta.group(1).decode("ascii", "ignore"))
    codecs_named = [c for c in (_codec(name) for name in declared) if c]
    for codec in codecs_named:
        if codec not in _PERMISSIVE:
            text = _strict(body, codec)
            if text is not None:
                return text
    text = _strict(body, "utf-8")
    if text is not None:
        return text
    best = charset_normalizer.from_bytes(body[:262144]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    fallback = codecs_named[0] if codecs_named else "utf-8"
    return body.decode(fallback, errors="replace")


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        return None


def extract_page(body: bytes, url: str, content_type: str | None = None) -> Page:
    """Main text and metadata of an article page (CPU-bound: run in a thread)."""
    markup = decode_page(body, content_type)
    root = _tree(markup)
    if root is None:
        return Page("", PageMeta(), ())
    meta = page_meta(root, url)
    named = (meta.title, _first_text(root, "h1"), _first_text(root, "title"))
    headlines = tuple(dict.fromkeys(scrub(h) for h in named if h))
    text = scrub(_main_text(markup, url) or _paragraphs(root))
    return Page(text, meta, headlines, _page_credit(root))


def _tree(markup: str) -> lxml.html.HtmlElement | None:
    if not markup.strip():
        return None
    try:
        return lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError):
        return None


def _main_text(markup: str, url: str) -> str:
    trafilatura = _trafilatura()
    if trafilatura is None:
        log.warning("trafilatura cannot be imported; using the page's paragraphs url=%s", url)
        return ""
    try:
        text = trafilatura.extract(
            markup,
            url=url,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=True,
        )
    except Exception as exc:  # trafilatura has many failure modes on broken pages
        log.warning("extraction failed url=%s error=%s", url, type(exc).__name__)
        return ""
    return text or ""


def _page_credit(root: lxml.html.HtmlElement) -> str | None:
    body = root.find("body")
    for line in element_text(body if body is not None else root).split("\n"):
        credit = credit_of(line)
        if credit:
            return credit
    return None


def _paragraphs(root: lxml.html.HtmlElement) -> str:
    """A fallback when trafilatura finds nothing: the page's paragraphs."""
    paragraphs = [element_text(p) for p in root.iter("p")]
    return "\n".join(p for p in paragraphs if p)


def _first_text(root: lxml.html.HtmlElement, tag: str) -> str | None:
    for element in root.iter(tag):
        text = _SPACES.sub(" ", element.text_content()).strip()
        if text:
            return text
    return None
