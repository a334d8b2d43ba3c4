"""A site's logo or default share image is not an article's lead image. Pure rules and a memory.

Sites without a photo for a story fill ``og:image`` with their brand: the
logo their JSON-LD or ``<link rel=icon>`` names, a file called ``logo``, a
small square badge, or one default picture that every page of the site
shows. Each rule here is one of those; a post without a photo is better than
a post with the masthead.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from urllib.parse import urlsplit

from bot.articles.markup import PageMeta
from bot.feeds.parser.model import ImageCandidate

_LOGO_IN_PATH = re.compile(r"logo|/brand(?:ing)?/|favicon|apple-touch-icon", re.I)
SQUARE_ASPECT = 1.2  # this close to square, and small, is a badge rather than a news photo
BRAND_SIDE = 600  # px: a square this small or smaller is a brand image
TINY_SIDE = 200  # px: a lead image narrower or shorter than this is an icon
SITE_DEFAULT_PAGES = 2  # the same image on this many pages of a site is its default image
SITES_REMEMBERED = 4096  # (site, image) pairs kept


def logo_reason(url: str, logos: frozenset[str]) -> str | None:
    """Why ``url`` is the site's logo by its address alone, or None."""
    if url in logos:
        return "the site's logo"
    if _LOGO_IN_PATH.search(urlsplit(url).path):
        return "a logo by its name"
    return None


def brand_reason(width: int | None, height: int | None) -> str | None:
    """Why a picture of this size is a badge or an icon rather than a lead photo, or None."""
    if not width or not height:
        return None
    if min(width, height) < TINY_SIDE:
        return f"tiny ({width}x{height}) for a lead image"
    square = max(width, height) / min(width, height) <= SQUARE_ASPECT
    if square and max(width, height) <= BRAND_SIDE:
        return f"a small square ({width}x{height}): a brand image"
    return None


class SiteImages:
    """Which pages of a site showed which image: a site-wide default is no story's photo."""

    def __init__(self, size: int = SITES_REMEMBERED) -> None:
        self._size = size
        self._pages: OrderedDict[tuple[str, str], set[str]] = OrderedDict()

    def record(self, page_url: str, image_url: str) -> None:
        key = (_host(page_url), image_url)
        pages = self._pages.setdefault(key, set())
        if len(pages) < SITE_DEFAULT_PAGES:
            pages.add(page_url)
        self._pages.move_to_end(key)
        while len(self._pages) > self._size:
            self._pages.popitem(last=False)

    def is_site_default(self, page_url: str, image_url: str) -> bool:
        """Whether other pages of the same site showed ``image_url`` too."""
        pages = self._pages.get((_host(page_url), image_url), set())
        return len(pages | {page_url}) >= SITE_DEFAULT_PAGES


def lead_candidates(
    meta: PageMeta, page_url: str, sites: SiteImages
) -> tuple[tuple[ImageCandidate, ...], list[str]]:
    """The page's images that may be its lead photo, best first, and why the others may not."""
    candidates: list[ImageCandidate] = []
    notes: list[str] = []
    for url, source in meta.images:
        reason = logo_reason(url, meta.logos)
        if reason is None and sites.is_site_default(page_url, url):
            reason = "the same image on other pages of the site"
        if reason:
            notes.append(f"{source}: {reason}")
        else:
            candidates.append(ImageCandidate(url, source))
    return tuple(candidates), notes


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
