"""HTML fragments and pages as plain text and photo candidates. Pure: no I/O.

Feeds and pages share these readings: the text of an HTML fragment with its
paragraph breaks, the real photos among its ``<img>`` tags (lazy-loading
attributes included, icons, pixels and emoji left out), and a page's
``og:image``. Entities are decoded exactly once, by the HTML parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from bot.articles.jsonld import linked_data

# Block elements whose end is a line break in the text a reader would see.
_BLOCK_TAGS = (
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table figure figcaption "
    "section article header footer pre dd dt hr"
)
_BLOCKS = frozenset(_BLOCK_TAGS.split())
_DROP = ("script", "style", "noscript", "template", "iframe", "svg", "object", "form")
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_LAZY_ATTRIBUTES = (
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-full-url",
    "data-orig-file",
    "data-large-file",
    "data-thumb",
    "src",
)
_SRCSET_ATTRIBUTES = ("data-srcset", "data-lazy-srcset", "srcset")
MAX_URL_LENGTH = 2048  # longer is no real link, and does not fit the articles table
_INT = re.compile(r"^\s*(\d{1,5})\s*(?:px)?\s*$")
_SRCSET_ITEM = re.compile(r"\s*(\S+?)(?:\s+(\d+(?:\.\d+)?)([wx]))?\s*(?:,|$)")
_PLACEHOLDER = re.compile(r"(?:^data:|blank\.gif|spacer\.gif|placeholder|lazy[-_.]?load)", re.I)

# Pages say where their photo is in a few ways; og:image is right most often,
# twitter:image is often a small thumbnail.
_OG_IMAGE_METAS = ("og:image", "og:image:url", "og:image:secure_url")
_TWITTER_IMAGE_METAS = ("twitter:image", "twitter:image:src")
_ICON_RELS = frozenset({"icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed"})
_LOGO_MARK = re.compile(r"logo", re.I)


@dataclass(frozen=True)
class HtmlImage:
    """An ``<img>`` worth considering, with the size its attributes claim."""

    url: str
    width: int | None = None
    height: int | None = None


def parse_fragment(markup: str) -> lxml.html.HtmlElement | None:
    """An HTML fragment as a tree under one ``<div>``, or None if there is nothing."""
    if not markup or not markup.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded once, paragraphs kept."""
    root = parse_fragment(markup)
    if root is None:
        return ""
    return element_text(root)


def element_text(root: lxml.html.HtmlElement) -> str:
    """Plain text of a parsed element with one line per block."""
    parts: list[str] = []
    _walk_text(root, parts)
    return tidy_lines("".join(parts))


def scrub(text: str) -> str:
    """``text`` without NULs, control characters and lone surrogates, which no database stores."""
    return _UNSTORABLE.sub("", text)


def tidy_lines(text: str) -> str:
    """Whitespace collapsed inside lines, empty lines squeezed to one paragraph break."""
    text = scrub(text).replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _walk_text(element: lxml.html.HtmlElement, parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _DROP:
        if element.tail:
            parts.append(element.tail)
        return
    block = tag in _BLOCKS
    if block:
        parts.append("\n")
    if tag and element.text:
        parts.append(element.text)
    for child in element:
        _walk_text(child, parts)
    if block:
        parts.append("\n")
    if element.tail:
        parts.append(element.tail)


def html_images(markup: str | lxml.html.HtmlElement, base: str | None) -> list[HtmlImage]:
    """Photos named by ``<img>`` tags, in document order, with lazy-loading sources."""
    root = parse_fragment(markup) if isinstance(markup, str) else markup
    if root is None:
        return []
    images: list[HtmlImage] = []
    for img in root.iter("img"):
        url = _img_source(img)
        if not url:
            continue
        absolute = absolute_url(url, base)
        if absolute:
            images.append(HtmlImage(absolute, _int(img.get("width")), _int(img.get("height"))))
    return images


def _img_source(img: lxml.html.HtmlElement) -> str | None:
    """The best URL an ``<img>`` offers: the widest srcset entry, else a lazy or plain src."""
    for name in _SRCSET_ATTRIBUTES:
        best = _widest_in_srcset(img.get(name) or "")
        if best:
            return best
    for name in _LAZY_ATTRIBUTES:
        value = (img.get(name) or "").strip()
        if value and not _PLACEHOLDER.search(value):
            return value
    return None


def _widest_in_srcset(srcset: str) -> str | None:
    best: tuple[float, str] | None = None
    for match in _SRCSET_ITEM.finditer(srcset):
        url, size = match.group(1), float(match.group(2) or 1)
        if url and not url.startswith("data:") and (best is None or size > best[0]):
            best = (size, url)
    return best[1] if best else None


def absolute_url(url: str, base: str | None) -> str | None:
    """``url`` made absolute against ``base``; None unless the result is http(s)."""
    url = url.strip()
    if url.startswith("//") and not base:
        url = "https:" + url  # protocol-relative with nothing to take the scheme from
    try:
        joined = urljoin(base, url) if base else url
        scheme = urlsplit(joined).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https") or len(joined) > MAX_URL_LENGTH:
        return None
    return joined


def _int(value: str | None) -> int | None:
    match = _INT.match(value or "")
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class PageMeta:
    """What a page's ``<meta>`` tags say, read from every meta wherever it is."""

    image: str | None = None  # the first of ``images``
    image_source: str | None = None
    title: str | None = None
    description: str | None = None
    language: str | None = None
    images: tuple[tuple[str, str], ...] = ()  # (url, where it was named), best first
    logos: frozenset[str] = frozenset()  # the site's brand marks: never a lead image


def page_meta(root: lxml.html.HtmlElement, base: str) -> PageMeta:
    """Metas from every ``<meta>`` (property=, name= or itemprop=), and the page's images.

    Lead-image candidates in order: og:image, the JSON-LD article's image,
    twitter:image, ``<link rel="image_src">``.
    """
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip()
        value = (meta.get("content") or "").strip()
        if key and value:
            found.setdefault(key.lower(), value)
    data = linked_data(root)
    named = [(found[key], "og:image") for key in _OG_IMAGE_METAS if key in found]
    named += [(url, "json-ld image") for url in data.images]
    named += [(found[key], "twitter:image") for key in _TWITTER_IMAGE_METAS if key in found]
    named += [(url, "image_src") for url in _links(root, {"image_src"})]
    images = _resolved(named, base)
    logos = [*data.logos, *_links(root, _ICON_RELS), *_logo_images(root)]
    logos += [found["logo"]] if "logo" in found else []
    language = root.get("lang") or found.get("og:locale")
    return PageMeta(
        image=images[0][0] if images else None,
        image_source=images[0][1] if images else None,
        title=found.get("og:title") or found.get("twitter:title"),
        description=found.get("og:description") or found.get("description"),
        language=language.strip() if language else None,
        images=images,
        logos=frozenset(url for url, _ in _resolved([(u, "") for u in logos], base)),
    )


def _resolved(named: list[tuple[str, str]], base: str) -> tuple[tuple[str, str], ...]:
    """Absolute http(s) URLs, each once, in order (entities were decoded by the parser)."""
    out: dict[str, str] = {}
    for url, source in named:
        absolute = absolute_url(url, base)
        if absolute and absolute not in out:
            out[absolute] = source
    return tuple(out.items())


def _links(root: lxml.html.HtmlElement, rels: frozenset[str] | set[str]) -> list[str]:
    """The hrefs of ``<link>`` elements with one of ``rels``, wherever they are."""
    return [
        link.get("href") or ""
        for link in root.iter("link")
        if rels & set((link.get("rel") or "").lower().split())
    ]


def _logo_images(root: lxml.html.HtmlElement) -> list[str]:
    """``<img>`` the page marks as its logo (class, id or alt; or a logo link around it)."""
    logos = []
    for img in root.iter("img"):
        parent = img.getparent()
        marks = [img.get(name) or "" for name in ("class", "id", "alt")]
        marks += [parent.get("class") or "", parent.get("id") or ""] if parent is not None else []
        source = _img_source(img)
        if source and any(_LOGO_MARK.search(mark) for mark in marks):
            logos.append(source)
    return logos
