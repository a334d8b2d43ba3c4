"""Photo candidates: which URLs are photos and which junk, and the order to try them in.

Shared by the XML and the JSON Feed readers, so the same tiers and junk rules
apply whatever the format.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.articles.markup import absolute_url, html_images, parse_fragment
from bot.feeds.parser.model import ImageCandidate

IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp)(?:$|[?#])", re.I)
# Image services name pictures without an extension: ``/image?id=123&w=800``,
# ``/image/48213/1200/``, Bing's ``/th?id=OVFT...``, resizers with a width or format parameter.
_IMAGE_HINT = re.compile(
    r"(?:/image|/img/|/images?/|/photos?(?:/|\?)|/thumbs?(?:/|\?)|/th\?id=|/resize[rd]?/"
    r"|[?&](?:w|width|h|height)=\d|[?&](?:format|fm)=(?:jpe?g|png|webp))",
    re.I,
)
_NOT_PHOTO_PATH = re.compile(r"\.(?:svg|ico|bmp|tiff?|mp4|mp3|m4a|webm|pdf|avif)(?:$|[?#])", re.I)
# Trackers, counters, avatars, emoji and buttons that feeds put where photos go.
_JUNK = re.compile(
    r"feeds\.feedburner\.com|/~r/|/~ff/|feedsportal|doubleclick|pixel|beacon|tracking"
    r"|/track(?:er)?/|stats\.wordpress\.com|1x1|spacer|blank\.gif|transparent\.(?:gif|png)"
    r"|gravatar|avatar|userpic|emoji|smil(?:ies|ey)|wp-includes/images"
    r"|(?<![a-z])(?:share|icons?|favicon|sprite|button|badge|logo|rss)(?![a-z])",
    re.I,
)
MIN_SIDE = 100  # px: anything smaller is an icon, an avatar or a pixel
MAX_ASPECT = 4.0  # wider or taller than this is a banner or a spacer, not a news photo

# Tier of each source: the order the issue gives, best first.
_TIERS = {
    "media:content": 0,
    "media:thumbnail": 1,
    "itunes:image": 2,
    "news:image": 2,
    "thumb": 2,
    "image": 2,
    "json:image": 0,
    "json:banner_image": 1,
    "enclosure": 3,
    "attachment": 3,
    "content img": 4,
}


def looks_like_image(url: str) -> bool:
    """Whether an untyped URL names a picture: an image extension, or an image service's path."""
    return bool(IMAGE_PATH.search(url) or _IMAGE_HINT.search(url))


def is_junk_image(url: str, width: int | None = None, height: int | None = None) -> bool:
    """Whether a candidate is a tracker, icon, avatar, emoji or banner rather than a photo."""
    if url.startswith("data:") or _NOT_PHOTO_PATH.search(url) or _JUNK.search(url):
        return True
    if (width is not None and width < MIN_SIDE) or (height is not None and height < MIN_SIDE):
        return True
    if width and height:
        ratio = max(width, height) / max(1, min(width, height))
        if ratio > MAX_ASPECT:
            return True
    return False


def rank_images(candidates: list[ImageCandidate]) -> tuple[ImageCandidate, ...]:
    """Junk out, one per URL, best tier first and the widest first within a tier."""
    best: dict[str, ImageCandidate] = {}
    for candidate in candidates:
        if is_junk_image(candidate.url, candidate.width, candidate.height):
            continue
        known = best.get(candidate.url)
        if known is None or _rank(candidate) < _rank(known):
            best[candidate.url] = candidate
    order = {url: index for index, url in enumerate(best)}
    ranked = sorted(best.values(), key=lambda c: (_rank(c), order[c.url]))
    return tuple(ranked)


def _rank(candidate: ImageCandidate) -> tuple[int, int]:
    width = candidate.width or (candidate.height or 0)
    # Only media:* sizes compete on width; content images keep document order.
    by_width = -width if candidate.source.startswith("media:") else 0
    return _TIERS.get(candidate.source, 5), by_width


def media_image(item: Any, base: str, source: str, *, typed: bool = True) -> ImageCandidate | None:
    """A media:* element as a photo, when its type, medium or URL says it is one."""
    url = absolute_url(item.get("url") or "", base)
    if not url:
        return None
    kind = str(item.get("type") or "").lower()
    medium = str(item.get("medium") or "").lower()
    if typed and (kind or medium):
        if not (kind.startswith("image/") or medium == "image"):
            return None
    elif typed and not (looks_like_image(url) or item.get("width")):
        return None
    return ImageCandidate(url, source, _int(item.get("width")), _int(item.get("height")))


def maybe_image(url: str, base: str, source: str) -> list[ImageCandidate]:
    """The URL as a candidate when it resolves against ``base``; [] when it does not."""
    absolute = absolute_url(html.unescape(url) if "&amp;" in url else url, base)
    return [ImageCandidate(absolute, source)] if absolute else []


def content_images(bodies: list[str], base: str) -> list[ImageCandidate]:
    """The ``<img>`` elements of HTML bodies, in document order."""
    images: list[ImageCandidate] = []
    for body in bodies:
        root = parse_fragment(body) if body else None
        if root is not None:
            images += [
                ImageCandidate(img.url, "content img", img.width, img.height)
                for img in html_images(root, base)
            ]
    return images


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
