"""OPML, as every feed reader speaks it: parse a subscription list, build one. Pure: no I/O.

Topics travel as outline categories, the way feed readers export folders: a
feed inside ``<outline text="politics">`` (a folder) or with
``category="politics"`` has the topic "politics". Exports write both, so
readers that only know folders and those that only know the attribute agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

# Entities are never expanded and nothing is fetched: an uploaded file is untrusted.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)
MAX_OUTLINES = 5000


class OpmlError(ValueError):
    """The file is not OPML we can read; the message says why."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None = None
    topic: str | None = None


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds an OPML document lists, each URL once, in document order."""
    if b"<!entity" in data.lower():
        # OPML never needs them, and refusing is simpler than proving expansion is bounded.
        raise OpmlError("the document declares XML entities, which are refused")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise OpmlError("not an OPML document (the root element is not <opml>)")
    body = next((el for el in root if _name(el) == "body"), None)
    if body is None:
        raise OpmlError("the OPML document has no <body>")
    found: dict[str, OpmlFeed] = {}
    for outline, folder in _outlines(body, None):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue
        if len(found) >= MAX_OUTLINES:
            raise OpmlError(f"more than {MAX_OUTLINES} feeds in one file")
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        topic = _topic(outline.get("category")) or folder
        found.setdefault(url, OpmlFeed(url, title, topic))
    return list(found.values())


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _outlines(
    parent: etree._Element, folder: str | None
) -> Iterable[tuple[etree._Element, str | None]]:
    """Every outline under ``parent`` with the folder it sits in (the innermost named one)."""
    for element in parent:
        if _name(element) != "outline":
            continue
        yield element, folder
        if not element.get("xmlUrl"):
            name = (element.get("text") or element.get("title") or "").strip()
            yield from _outlines(element, _clean_topic(name) or folder)


def _topic(category: str | None) -> str | None:
    """The first category of an OPML ``category`` attribute ("/politics,/world" → politics)."""
    if not category:
        return None
    first = category.split(",")[0].strip()
    return _clean_topic(first.strip("/").split("/")[-1])


def _clean_topic(name: str) -> str | None:
    cleaned = " ".join(name.split())[:64]
    return cleaned or None


def build_opml(feeds: Iterable[OpmlFeed], title: str = "newsbot feeds") -> bytes:
    """An OPML 2.0 document: feeds grouped in one folder per topic, untopiced ones at the top."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    ordered = sorted(feeds, key=lambda feed: (feed.topic is not None, feed.topic or ""))
    for feed in ordered:
        parent = body
        if feed.topic:
            if feed.topic not in folders:
                folders[feed.topic] = etree.SubElement(
                    body, "outline", text=feed.topic, title=feed.topic
                )
            parent = folders[feed.topic]
        attributes = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attributes["title"] = feed.title
        if feed.topic:
            attributes["category"] = f"/{feed.topic}"
        etree.SubElement(parent, "outline", attributes)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
