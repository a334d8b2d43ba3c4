"""The raw XML pass: what feedparser's sanitiser and mapping drop, read from the XML itself.

Lazy-loaded ``<img>`` attributes in unsanitised bodies, bare ``<image>`` and
text-only ``<enclosure>`` elements, and the guid as the publisher wrote it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.etree

from bot.feeds.parser.photos import looks_like_image


@dataclass(frozen=True)
class RawItem:
    """What feedparser drops from one item, read from the XML itself."""

    link: str | None
    guid: str | None
    html: list[str]  # unsanitised description / content bodies
    images: list[tuple[str, str, int | None, int | None]]  # url, source, width, height


_ITEM_TAGS = {"item", "entry"}
_BODY_TAGS = {"description", "encoded", "content", "summary", "fulltext", "full-text"}
_BARE_IMAGE_TAGS = {"image": "image", "thumb": "thumb"}


def read_raw_items(body: bytes) -> list[RawItem]:
    """Every item/entry of the raw XML, in document order; [] if it cannot be read."""
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        root = lxml.etree.fromstring(body.lstrip(b"\xef\xbb\xbf\r\n\t "), parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    return [_raw_item(element) for element in root.iter() if _local(element) in _ITEM_TAGS]


def _raw_item(item: Any) -> RawItem:
    link = guid = None
    bodies: list[str] = []
    images: list[tuple[str, str, int | None, int | None]] = []
    for child in _children(item):
        name, prefix = _local(child), _prefix(child)
        text = (child.text or "").strip()
        if name == "link" and not link:
            link = (child.get("href") or text) or None
        elif name in ("guid", "id") and not guid:
            guid = text or None
        elif name in _BODY_TAGS:
            bodies.append(_inner_markup(child))
        elif name == "enclosure" and not child.get("url") and looks_like_image(text):
            images.append((text, "enclosure", None, None))
        elif name in _BARE_IMAGE_TAGS and prefix not in ("itunes", "media"):
            url = child.get("href") or child.get("url") or text or _nested_url(child)
            if url:
                source = "news:image" if prefix == "news" else _BARE_IMAGE_TAGS[name]
                images.append((url, source, None, None))
        elif prefix == "media" and name in ("content", "thumbnail"):
            pass  # feedparser reads these, including inside media:group
    return RawItem(link, guid, [b for b in bodies if b.strip()], images)


def _children(item: Any) -> Iterator[Any]:
    for child in item:
        if isinstance(child.tag, str):
            yield child


def _nested_url(element: Any) -> str | None:
    for child in _children(element):
        if _local(child) in ("url", "link", "href") and (child.text or "").strip():
            return str(child.text).strip()
    return None


def _inner_markup(element: Any) -> str:
    """An element's body as HTML: escaped/CDATA text, or inline XHTML children."""
    if len(element):
        parts = [element.text or ""]
        parts += [lxml.etree.tostring(child, encoding="unicode") for child in element]
        return "".join(parts)
    return str(element.text or "")


def _local(element: Any) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _prefix(element: Any) -> str | None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if ":" in tag and "}" not in tag:
        return tag.split(":", 1)[0].lower()
    return element.prefix.lower() if element.prefix else None


def match_raw_items(raw: list[RawItem], entries: list[Any]) -> list[RawItem | None]:
    """Pair feedparser's entries with raw items: by position, else by guid or link."""
    if len(raw) == len(entries):
        return list(raw)
    by_id: dict[str, RawItem] = {}
    for item in raw:
        for key in (item.guid, item.link):
            if key:
                by_id.setdefault(key.strip(), item)
    return [
        by_id.get(str(e.get("id") or "")) or by_id.get(str(e.get("link") or "")) for e in entries
    ]
