"""Feed bytes to normalised entries (RSS 0.9x/1.0/2.0, Atom, JSON Feed). Pure: no I/O.

The caller owns HTTP and hands over the body and its content type (as
feedparser's ``parse`` wants). feedparser does the reading; a second pass over
the raw XML recovers what its sanitiser and its mapping drop (lazy-loaded
``<img>`` attributes, untyped ``media:content`` sizes, bare ``<image>`` and
text-only ``<enclosure>`` elements). JSON Feed is parsed directly, since
feedparser does not read version 1.1. An ill-formed feed that still carries
entries is reported in ``bozo`` and used.
"""

from __future__ import annotations

import io
import re
from typing import Any

import charset_normalizer
import feedparser

from bot.feeds.parser.json_feed import looks_like_json, parse_json_feed
from bot.feeds.parser.model import ParsedFeed
from bot.feeds.parser.plain import language_tag, plain_title
from bot.feeds.parser.raw_xml import match_raw_items, read_raw_items
from bot.feeds.parser.xml_entry import xml_entry


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document fetched from ``url``; ValueError if it is not a feed."""
    if looks_like_json(body, content_type):
        return parse_json_feed(body, url)
    body, content_type = _readable(body, content_type)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed: Any = feedparser.parse(io.BytesIO(body), response_headers=headers)
    bozo = _bozo(parsed, content_type)
    if not parsed.entries and (not parsed.get("version") or bozo):
        raise ValueError(f"not a feed: {bozo or 'no feed elements found'}")
    meta = parsed.feed
    language = language_tag(meta.get("language"))
    link = meta.get("link") or None
    raw_items = match_raw_items(read_raw_items(body), parsed.entries)
    entries = [
        xml_entry(item, raw, language, url)
        for item, raw in zip(parsed.entries, raw_items, strict=True)
    ]
    return ParsedFeed(
        plain_title(meta.get("title_detail"), meta.get("title")), link, language, entries, bozo
    )


# --- encodings ---------------------------------------------------------------

_XML_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", re.I)
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9._-]+)", re.I)


def _readable(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """``body`` as feedparser can decode it: undeclared non-UTF-8 bytes are transcoded.

    A feed that declares its encoding (in the XML prolog or the HTTP header) is
    left to feedparser. One that declares nothing and is not UTF-8 would be read
    as windows-1252 and its Cyrillic ruined, so it is detected and re-encoded.
    """
    stripped = body.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if _XML_DECLARED.match(stripped) or (content_type and _CHARSET.search(content_type)):
        return stripped, content_type
    try:
        stripped.decode("utf-8")
        return stripped, content_type
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(stripped).best()
    if best is None:
        return stripped, content_type
    return str(best).encode("utf-8"), "application/xml; charset=utf-8"


def _bozo(parsed: Any, content_type: str | None) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if content_type is None and isinstance(exc, feedparser.NonXMLContentType):
        return None  # a file has no content type; that is not the feed's fault
    return f"{type(exc).__name__}: {exc}" if exc else "ill-formed feed"
