"""An entry made post-ready: its photo checked, its summary drawn, its page read if needed.

One linear function per entry. The feed's own text is used when it is a body;
the article page is fetched (through the fetcher's address policy, with the
feed as the trusted origin) when the feed gives only a title or a teaser, or
names no usable photo. Photo candidates are tried best first, each URL checked
once per fetcher (reachable, an image, a news photo within Telegram's rules)
and its verdict remembered. Nothing here raises for bad input: a broken page
or photo means a post without it, and a log line saying so.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from bot import telemetry
from bot.articles.chrome import is_heading
from bot.articles.extract import Page, extract_page
from bot.articles.images import (
    URL_PHOTO_LIMIT,
    ImageRejected,
    PhotoInfo,
    inspect_photo,
)
from bot.articles.logos import SiteImages, brand_reason, lead_candidates
from bot.articles.summarize import clean_teaser, split_sentences, summarize
from bot.feeds.fetcher import Fetcher, FetchError
from bot.feeds.parser.model import Entry, ImageCandidate
from bot.feeds.parser.photos import is_junk_image
from bot.render.post import PostContent

log = logging.getLogger(__name__)

PAGE_MAX_BYTES = 3 * 1024 * 1024
TEASER_CHARS = 300  # a feed body shorter than this is a teaser: read the page
VERDICT_CACHE_SIZE = 1024
SMALL_PHOTO_WIDTH = 400  # px: a feed thumbnail this narrow loses to the page's og:image
FAILURE_TTL = 3600.0  # s: a photo that could not be fetched is tried again after this
# Enough of a photo to read its format and size, even behind a large EXIF block.
PHOTO_PEEK_BYTES = 256 * 1024


@dataclass(frozen=True)
class Enriched:
    """What a post needs from an entry, with the reason for its photo."""

    summary: str
    image_url: str | None
    image_source: str | None  # why: "media:content (1200x675)", "og:image", ...
    credit: str | None
    title: str
    language: str | None
    photo_note: str | None = None  # why there is no photo, when there is none


@dataclass(frozen=True)
class _Verdict:
    ok: bool
    reason: str
    checked_at: float
    transient: bool = False
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class _Choice:
    """The photo picked from some candidates, or why none was."""

    url: str | None = None
    reason: str | None = None  # why this one
    note: str | None = None  # why the others were refused
    width: int | None = None


_verdicts: weakref.WeakKeyDictionary[Fetcher, OrderedDict[str, _Verdict]] = (
    weakref.WeakKeyDictionary()
)
# Which image each site's pages showed, per fetcher like the verdicts: a site-wide default
# image (the brand shown on every page) is not a story's photo.
_site_images: weakref.WeakKeyDictionary[Fetcher, SiteImages] = weakref.WeakKeyDictionary()


async def enrich_entry(
    entry: Entry,
    fetcher: Fetcher,
    *,
    feed_url: str,
    sentences: int,
    fetch_pages: bool = True,
    check_photos: bool = True,
) -> Enriched:
    """The summary, photo and credit for ``entry``; never raises for a bad page or photo."""
    try:
        return await _enrich(entry, fetcher, feed_url, sentences, fetch_pages, check_photos)
    except Exception:  # a post must not be lost to a surprise in someone's HTML
        log.exception("enrichment failed feed=%s url=%s", feed_url, entry.url)
        return from_feed(entry, sentences)


def from_feed(entry: Entry, sentences: int) -> Enriched:
    """The post the feed alone gives: its text summarised, its best photo unchecked."""
    summary = summarize(
        clean_teaser(entry.text or entry.summary),
        sentences=sentences,
        title=entry.title,
        language=entry.language,
    )
    if not summary.text and entry.summary:
        summary = summarize(clean_teaser(entry.summary), sentences=sentences, title=entry.title)
    best = entry.images[0] if entry.images else None
    return Enriched(
        summary=summary.text,
        image_url=best.url if best else None,
        image_source=_describe(best) if best else None,
        credit=summary.credit,
        title=entry.title,
        language=entry.language,
    )


def post_content(
    enriched: Enriched, entry: Entry, *, source_name: str | None, topic: str | None = None
) -> PostContent:
    """The post for an enriched entry, ready for :func:`bot.render.post.render_post`."""
    return PostContent(
        title=enriched.title,
        summary=enriched.summary,
        url=entry.url,
        source_name=source_name,
        topic=topic,
        image_url=enriched.image_url,
        credit=enriched.credit,
    )


async def _enrich(
    entry: Entry,
    fetcher: Fetcher,
    feed_url: str,
    sentences: int,
    fetch_pages: bool,
    check_photos: bool,
) -> Enriched:
    base = from_feed(entry, sentences)
    page: Page | None = None
    can_fetch = fetch_pages and entry.url is not None
    page_read = can_fetch and is_teaser(entry, base.summary, sentences)
    if page_read:  # once per entry, even when it fails
        page = await _read_page(entry, fetcher, feed_url)
    summary, credit, title = base.summary, base.credit, base.title
    if page is not None:
        summary, credit, title = _from_page(page, entry, base, sentences)
    if not check_photos:
        return Enriched(summary, base.image_url, base.image_source, credit, title, base.language)
    choice = await _first_good_photo(entry.images, fetcher, feed_url)
    if choice.url is None and can_fetch and not page_read:
        page = await _read_page(entry, fetcher, feed_url)
    choice = await _maybe_page_photo(choice, page, entry.url, fetcher, feed_url)
    language = entry.language or (page.meta.language if page else None)
    note = None if choice.url else choice.note
    return Enriched(summary, choice.url, choice.reason, credit, title, language, note)


def is_teaser(entry: Entry, summary: str, sentences: int) -> bool:
    """Whether the feed gives only a title or a teaser, so the page must be read."""
    text = clean_teaser(entry.text or entry.summary)
    if len(text) < TEASER_CHARS or not summary:
        return True
    trimmed = (entry.text or entry.summary).rstrip()
    if trimmed.endswith(("…", "...", "[…]", "[...]")) and len(split_sentences(text)) < sentences:
        return True
    return is_heading(summary)


def _from_page(
    page: Page, entry: Entry, base: Enriched, sentences: int
) -> tuple[str, str | None, str]:
    """Summary, credit and title drawn from the page, the feed's where the page has none."""
    titles = tuple(t for t in (entry.title, *page.headlines) if t)
    drawn = summarize(
        page.text,
        sentences=sentences,
        title=titles[0] if titles else None,
        language=entry.language,
        also_titles=titles[1:],
    )
    summary = drawn.text
    if not summary or is_heading(summary):
        # The body has no paragraph (only a headline or nothing): the teaser, or the page's own.
        summary = base.summary or clean_teaser(page.meta.description or "") or summary
    credit = base.credit or drawn.credit or page.credit
    title = entry.title or (page.headlines[0] if page.headlines else "")
    return summary, credit, title


async def _read_page(entry: Entry, fetcher: Fetcher, feed_url: str) -> Page | None:
    """The article page, fetched under the address policy and extracted off the loop."""
    url = entry.url
    if url is None:
        return None
    try:
        result = await fetcher.get(
            url, trusted_origin=feed_url, max_bytes=PAGE_MAX_BYTES, accept="text/html,*/*;q=0.5"
        )
    except FetchError as exc:
        telemetry.count_fetch("page", ok=False)
        log.warning("page not fetched feed=%s url=%s reason=%s", feed_url, url, exc)
        return None
    telemetry.count_fetch("page", ok=result.status == 200)
    if result.status != 200:
        log.warning("page not fetched feed=%s url=%s status=%s", feed_url, url, result.status)
        return None
    kind = (result.content_type or "").lower()
    if kind and "html" not in kind and "xml" not in kind:
        log.info("page is not HTML feed=%s url=%s type=%s", feed_url, url, kind)
        return None
    return await asyncio.to_thread(extract_page, result.body, result.url, result.content_type)


async def _maybe_page_photo(
    choice: _Choice, page: Page | None, page_url: str | None, fetcher: Fetcher, feed_url: str
) -> _Choice:
    """The page's lead image when the feed gave no photo, or only a small one; never its logo."""
    if page is None or page_url is None or not page.meta.images:
        return choice
    sites = _site_images.setdefault(fetcher, SiteImages())
    candidates, refused = lead_candidates(page.meta, page_url, sites)
    for url, _source in page.meta.images:
        sites.record(page_url, url)
    small = choice.width is not None and choice.width < SMALL_PHOTO_WIDTH
    if choice.url is not None and (not small or choice.url in dict(page.meta.images)):
        return choice
    found = await _first_good_photo(candidates, fetcher, feed_url, lead=True)
    if found.url is None:
        notes = [note for note in (choice.note, *refused, found.note) if note]
        return choice if choice.url else _Choice(note="; ".join(notes))
    if choice.url is not None and (found.width or 0) <= (choice.width or 0):
        return choice
    return found


async def _first_good_photo(
    candidates: tuple[ImageCandidate, ...], fetcher: Fetcher, feed_url: str, *, lead: bool = False
) -> _Choice:
    """The first candidate that passes its check, best first; ``lead``: not a badge or icon."""
    notes: list[str] = []
    for candidate in candidates:
        if is_junk_image(candidate.url, candidate.width, candidate.height):
            notes.append(f"{candidate.source}: looks like an icon or tracker")
            continue
        verdict = await check_photo(candidate.url, fetcher, feed_url=feed_url)
        refusal = verdict.reason if not verdict.ok else None
        if refusal is None and lead:
            refusal = brand_reason(verdict.width, verdict.height)
        if refusal is None:
            reason = f"{_describe(candidate)}; {verdict.reason}"
            return _Choice(candidate.url, reason, None, verdict.width)
        notes.append(f"{candidate.source}: {refusal}")
    return _Choice(note="; ".join(notes) or "the entry names no photo")


async def check_photo(url: str, fetcher: Fetcher, *, feed_url: str) -> _Verdict:
    """Whether ``url`` serves a photo Telegram can take, checked once per fetcher."""
    cache = _verdicts.setdefault(fetcher, OrderedDict())
    known = cache.get(url)
    now = time.monotonic()
    if known is not None and not (known.transient and now - known.checked_at > FAILURE_TTL):
        cache.move_to_end(url)
        return known
    verdict = await _check(url, fetcher, feed_url, now)
    telemetry.count_fetch("photo", ok=verdict.ok)
    if not verdict.ok:
        log.info("photo refused feed=%s url=%s reason=%s", feed_url, url, verdict.reason)
    cache[url] = verdict
    while len(cache) > VERDICT_CACHE_SIZE:
        cache.popitem(last=False)
    return verdict


async def _check(url: str, fetcher: Fetcher, feed_url: str, now: float) -> _Verdict:
    try:
        # The header tells format and size; the photo itself is Telegram's to download.
        result = await fetcher.get(
            url, trusted_origin=feed_url, max_bytes=PHOTO_PEEK_BYTES, accept="image/*", peek=True
        )
    except FetchError as exc:
        # Too large or refused is final; a timeout or a network error may pass later.
        final = type(exc).__name__ in ("TooLarge", "Refused")
        return _Verdict(False, str(exc), now, transient=not final)
    if result.status != 200:
        return _Verdict(False, f"HTTP {result.status}", now, transient=result.status >= 500)
    kind = (result.content_type or "").split(";")[0].strip().lower()
    try:
        info = inspect_photo(result.body)
    except ImageRejected as exc:
        if kind and not kind.startswith("image/"):
            return _Verdict(False, f"not an image ({kind})", now)
        return _Verdict(False, str(exc), now)
    size = result.declared_size if result.truncated else len(result.body)
    if size is not None and size > URL_PHOTO_LIMIT:
        return _Verdict(False, f"{size // 1024} KB is over Telegram's limit for a photo URL", now)
    note = _size_note(info, size)
    if not kind.startswith("image/"):
        # Telegram may refuse the URL for its type; the delivery's upload fallback will not.
        note += f", served as {kind or 'no type'}"
    return _Verdict(True, note, now, width=info.width, height=info.height)


def _size_note(info: PhotoInfo, size: int | None) -> str:
    weight = f"{size // 1024} KB" if size is not None else "size not declared"
    return f"{info.format} {info.width}x{info.height}, {weight}"


def _describe(candidate: ImageCandidate) -> str:
    if candidate.width and candidate.height:
        return f"{candidate.source} ({candidate.width}x{candidate.height})"
    if candidate.width:
        return f"{candidate.source} ({candidate.width} wide)"
    return candidate.source
