"""A page's JSON-LD (schema.org): the article's image and the publisher's logo. Pure.

News sites describe an article in ``<script type="application/ld+json">``
blocks: a ``NewsArticle`` (often inside an ``@graph``) whose ``image`` is a
URL, a list of URLs, or an ``ImageObject`` (``url`` / ``contentUrl``), or a
reference (``{"@id": ...}``) to one elsewhere in the graph; and a publisher
``Organization`` whose ``logo`` is the site's brand mark. The article's image
is a lead-image candidate; the logo is what a lead image must not be. Images
of people (authors) are neither.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.html

MAX_BLOCK_CHARS = 200_000  # a larger block is a data dump, not a description of the page
_NOT_ARTICLE_TYPES = frozenset({"person", "organization", "newsmediaorganization", "website"})


@dataclass(frozen=True)
class LinkedData:
    """Image URLs as the page wrote them (unresolved), best first."""

    images: tuple[str, ...] = ()
    logos: tuple[str, ...] = ()


def linked_data(root: lxml.html.HtmlElement) -> LinkedData:
    """The article images and brand logos the page's JSON-LD names."""
    nodes = [node for block in _blocks(root) for node in _nodes(block)]
    by_id = {str(node["@id"]): node for node in nodes if isinstance(node.get("@id"), str)}
    images: list[str] = []
    logos: list[str] = []
    for node in nodes:
        logos += _urls(node.get("logo"), by_id)
        if _is_article(node):
            images += _urls(node.get("image"), by_id) + _urls(node.get("thumbnailUrl"), by_id)
    return LinkedData(tuple(dict.fromkeys(images)), tuple(dict.fromkeys(logos)))


def _blocks(root: lxml.html.HtmlElement) -> Iterator[Any]:
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = (script.text or "").strip()
        if not text or len(text) > MAX_BLOCK_CHARS:
            continue
        try:
            yield json.loads(text, strict=False)  # CMSs leave raw newlines in strings
        except ValueError:
            continue


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every object of a JSON-LD document: top level, lists and ``@graph`` members."""
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        yield value
        yield from _nodes(value.get("@graph"))
        publisher = value.get("publisher")
        if isinstance(publisher, dict | list):
            yield from _nodes(publisher)


def _is_article(node: dict[str, Any]) -> bool:
    kinds = node.get("@type")
    names = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    lowered = {str(name).lower() for name in names}
    if not lowered or lowered & _NOT_ARTICLE_TYPES:
        return False
    return any("article" in name or "posting" in name or name == "webpage" for name in lowered)


def _urls(value: Any, by_id: dict[str, dict[str, Any]], depth: int = 0) -> list[str]:
    """URLs of an image value: a string, a list, an ImageObject, or a reference to one."""
    if depth > 3 or value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [url for item in value for url in _urls(item, by_id, depth + 1)]
    if isinstance(value, dict):
        for key in ("url", "contentUrl"):
            if isinstance(value.get(key), str) and value[key].strip():
                return [value[key].strip()]
        target = by_id.get(str(value.get("@id")))
        if target is not None and target is not value:
            return _urls(target, by_id, depth + 1)
    return []
