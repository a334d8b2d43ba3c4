"""enrich_entry against a real local HTTP server, through the real Fetcher.

The server serves the fixture feeds and pages from tests/data and photos made
with Pillow; it counts requests so a test can see what was fetched (and what
was not). Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image

from bot.articles.enrich import Enriched, enrich_entry
from bot.feeds.fetcher import Fetcher
from bot.feeds.parser.document import parse_feed
from bot.feeds.parser.model import Entry, ImageCandidate
from config.settings import PollingSettings

DATA = Path(__file__).parents[1] / "data"


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def gif_pixel() -> bytes:
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, "GIF")
    return out.getvalue()


@dataclass
class Site:
    """A local news site: feeds, pages and photos, with a request counter."""

    base: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    page_types: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path


async def _serve(site: Site, request: web.Request) -> web.StreamResponse:
    path = request.path
    site.hits[path] += 1
    photos = {
        "/img/upr.jpg": jpeg(1200, 675),
        "/img/most.jpg": jpeg(1280, 720),
        "/img/ok.jpg": jpeg(800, 450),
        "/img/thumb-240.jpg": jpeg(240, 135),
        "/img/tiny.gif": gif_pixel(),
        "/img/banner.jpg": jpeg(1600, 120),
    }
    if path in photos:
        return web.Response(body=photos[path], content_type="image/jpeg")
    if path == "/img/s3.jpg":
        return web.Response(body=jpeg(900, 600), content_type="binary/octet-stream")
    if path == "/img/page.jpg":
        return web.Response(text="<html>soft 404</html>", content_type="text/html")
    if path == "/img/huge.jpg":
        return web.Response(body=b"\xff\xd8" + b"0" * (6 * 1024 * 1024), content_type="image/jpeg")
    if (
        path.startswith(("/img/photo-", "/media/", "/uploads/"))
        or path == "/img/site-logo-share.jpg"
    ):
        return web.Response(body=jpeg(1200, 675), content_type="image/jpeg")
    if path == "/img/default-card.png":
        out = io.BytesIO()
        Image.new("RGB", (512, 512), (200, 30, 30)).save(out, "PNG")
        return web.Response(body=out.getvalue(), content_type="image/png")
    if path in ("/image", "/photo"):  # an image service: the picture is named by its query
        return web.Response(body=jpeg(1000, 600), content_type="image/jpeg")
    if path.startswith("/image/"):  # the service's soft 404, answered with a 200
        return web.Response(text="<html>no such image</html>", content_type="text/html")
    if path == "/broken.html":
        return web.Response(status=500, text="oops")
    for folder in ("feeds", "pages"):
        if path.startswith(f"/{folder}/"):
            file = DATA / folder / path.rsplit("/", 1)[1]
            if file.exists():
                kind = site.page_types.get(path, "text/html" if folder == "pages" else "text/xml")
                return web.Response(body=file.read_bytes(), headers={"Content-Type": kind})
    return web.Response(status=404)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site()

    async def handler(request: web.Request) -> web.StreamResponse:
        return await _serve(state, request)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    client = Fetcher(PollingSettings(timeout=5), allow_private=True)
    yield client
    await client.aclose()


def teaser_entries(site: Site) -> tuple[str, list[Entry]]:
    feed_url = site.url("/feeds/teaser_only.xml")
    feed = parse_feed((DATA / "feeds" / "teaser_only.xml").read_bytes(), feed_url)
    return feed_url, feed.entries


async def test_teaser_entry_gets_its_page_summary_photo_and_credit(
    site: Site, fetcher: Fetcher
) -> None:
    feed_url, entries = teaser_entries(site)
    result = await enrich_entry(entries[0], fetcher, feed_url=feed_url, sentences=2)
    assert result.summary.startswith("Minister of Justice of the Republic of Kazakhstan")
    assert "Share" not in result.summary and "522.42" not in result.summary
    assert result.image_url == site.url("/img/upr.jpg?size=large&imageuri=1")
    assert result.image_source is not None and result.image_source.startswith("og:image")
    assert result.credit == "Фото: Ministry of Justice of Kazakhstan"
    assert result.title.startswith("Kazakhstan reaffirms")


async def test_cp1251_page_with_a_lying_charset_header_is_read_as_cyrillic(
    site: Site, fetcher: Fetcher
) -> None:
    site.page_types["/pages/russian_article_cp1251.html"] = "text/html; charset=ISO-8859-1"
    feed_url, entries = teaser_entries(site)
    result = await enrich_entry(entries[1], fetcher, feed_url=feed_url, sentences=3)
    assert result.summary.startswith("Новый мост длиной 420 м соединил")
    assert "Автор" not in result.summary and "Мост через Ишим открыт" not in result.summary
    assert result.image_url == site.url("/img/most.jpg")


async def test_candidates_are_tried_best_first_and_bad_ones_skipped(
    site: Site, fetcher: Fetcher
) -> None:
    feed_url, entries = teaser_entries(site)
    entry = replace(
        entries[0],
        images=(
            ImageCandidate(site.url("/img/page.jpg"), "media:content", 1200, 675),
            ImageCandidate(site.url("/img/missing.jpg"), "media:content", 1000, 560),
            ImageCandidate(site.url("/img/tiny.gif"), "media:thumbnail"),
            ImageCandidate(site.url("/img/pixel.gif"), "media:thumbnail"),
            ImageCandidate(site.url("/img/banner.jpg"), "enclosure"),
            ImageCandidate(site.url("/img/huge.jpg"), "enclosure"),
            ImageCandidate(site.url("/img/ok.jpg"), "content img"),
        ),
    )
    result = await enrich_entry(entry, fetcher, feed_url=feed_url, sentences=1, fetch_pages=False)
    assert result.image_url == site.url("/img/ok.jpg")
    assert result.image_source is not None
    assert result.image_source.startswith("content img; JPEG 800x450")
    # Each bad candidate was fetched once and refused; a URL that names a pixel is not fetched.
    for path in ("/img/page.jpg", "/img/missing.jpg", "/img/tiny.gif", "/img/banner.jpg"):
        assert site.hits[path] == 1
    assert site.hits["/img/pixel.gif"] == 0


async def test_each_photo_url_is_checked_once(site: Site, fetcher: Fetcher) -> None:
    feed_url, entries = teaser_entries(site)
    entry = replace(entries[0], images=(ImageCandidate(site.url("/img/ok.jpg"), "enclosure"),))
    for _ in range(3):
        result = await enrich_entry(
            entry, fetcher, feed_url=feed_url, sentences=1, fetch_pages=False
        )
        assert result.image_url == site.url("/img/ok.jpg")
    assert site.hits["/img/ok.jpg"] == 1


async def test_no_photo_anywhere_gives_a_post_without_one_and_says_why(
    site: Site, fetcher: Fetcher
) -> None:
    feed_url, entries = teaser_entries(site)
    entry = replace(
        entries[0],
        url=site.url("/broken.html"),
        images=(ImageCandidate(site.url("/img/page.jpg"), "enclosure"),),
    )
    result = await enrich_entry(entry, fetcher, feed_url=feed_url, sentences=2)
    assert result.image_url is None
    assert result.photo_note is not None and "not an image" in result.photo_note
    assert result.summary == "Kazakhstan at the UPR session"  # the feed's teaser survives


async def test_fetch_pages_false_reads_nothing_but_photos(site: Site, fetcher: Fetcher) -> None:
    feed_url, entries = teaser_entries(site)
    result = await enrich_entry(
        entries[0], fetcher, feed_url=feed_url, sentences=2, fetch_pages=False
    )
    assert result.summary == "Kazakhstan at the UPR session"
    assert result.image_url is None
    assert sum(site.hits.values()) == 0


async def test_full_feed_text_does_not_need_the_page(site: Site, fetcher: Fetcher) -> None:
    body = (DATA / "feeds" / "kazakh_text.xml").read_bytes()
    feed = parse_feed(
        body.replace(b"https://aqparat.example.kz", site.base.encode()),
        site.url("/feeds/kazakh_text.xml"),
    )
    entry = replace(
        feed.entries[0], images=(ImageCandidate(site.url("/img/ok.jpg"), "media:content"),)
    )
    result = await enrich_entry(
        entry, fetcher, feed_url=site.url("/feeds/kazakh_text.xml"), sentences=3
    )
    assert result.summary.startswith("Қазақстан Республикасының Үкіметі")
    assert result.credit == "Сурет: Үкімет баспасөз қызметі"
    assert site.hits["/news/ukimet-bagdarlama"] == 0


async def test_address_policy_refuses_a_loopback_link_from_a_public_feed(site: Site) -> None:
    strict = Fetcher(PollingSettings(timeout=5), allow_private=False)
    try:
        entry = Entry(
            key="k",
            url=site.url("/pages/kazakh_article.html"),
            title="Kazakhstan reaffirms commitment",
            summary="Teaser",
            images=(ImageCandidate(site.url("/img/ok.jpg"), "media:content"),),
        )
        result = await enrich_entry(
            entry, strict, feed_url="https://feeds.example.com/rss", sentences=2
        )
    finally:
        await strict.aclose()
    assert result.image_url is None and result.summary == "Teaser"
    assert result.photo_note is not None and "non-public" in result.photo_note
    assert sum(site.hits.values()) == 0


async def test_the_feeds_own_origin_is_trusted_even_on_loopback(site: Site) -> None:
    strict = Fetcher(PollingSettings(timeout=5), allow_private=False)
    try:
        feed_url, entries = teaser_entries(site)
        result = await enrich_entry(entries[0], strict, feed_url=feed_url, sentences=1)
    finally:
        await strict.aclose()
    assert result.image_url == site.url("/img/upr.jpg?size=large&imageuri=1")


async def test_a_small_feed_thumbnail_loses_to_the_pages_larger_og_image(
    site: Site, fetcher: Fetcher
) -> None:
    feed_url, entries = teaser_entries(site)  # a teaser: the page is read anyway
    small = ImageCandidate(site.url("/img/thumb-240.jpg"), "media:thumbnail", 240, 135)
    result = await enrich_entry(
        replace(entries[0], images=(small,)), fetcher, feed_url=feed_url, sentences=1
    )
    assert result.image_url == site.url("/img/upr.jpg?size=large&imageuri=1")


async def test_a_large_feed_photo_is_kept_over_og_image(site: Site, fetcher: Fetcher) -> None:
    feed_url, entries = teaser_entries(site)
    large = ImageCandidate(site.url("/img/most.jpg"), "media:content", 1280, 720)
    result = await enrich_entry(
        replace(entries[0], images=(large,)), fetcher, feed_url=feed_url, sentences=1
    )
    assert result.image_url == site.url("/img/most.jpg")
    assert result.image_source is not None
    assert result.image_source.startswith("media:content (1280x720); JPEG 1280x720")


async def test_a_photo_served_with_a_generic_type_is_still_a_photo(
    site: Site, fetcher: Fetcher
) -> None:
    feed_url, entries = teaser_entries(site)
    entry = replace(entries[0], images=(ImageCandidate(site.url("/img/s3.jpg"), "enclosure"),))
    result = await enrich_entry(entry, fetcher, feed_url=feed_url, sentences=1, fetch_pages=False)
    assert result.image_url == site.url("/img/s3.jpg")
    assert result.image_source is not None
    assert result.image_source.endswith("served as binary/octet-stream")


async def test_extensionless_image_urls_are_checked_by_what_they_serve(
    site: Site, fetcher: Fetcher
) -> None:
    body = (DATA / "feeds" / "image_service_urls.xml").read_bytes()
    for host in (b"https://cdn.wire.example.kz", b"https://wire.example.kz"):
        body = body.replace(host, site.base.encode())
    feed_url = site.url("/feeds/image_service_urls.xml")
    entries = parse_feed(body, feed_url).entries
    results = [
        await enrich_entry(entry, fetcher, feed_url=feed_url, sentences=1, fetch_pages=False)
        for entry in entries[:3]
    ]
    assert results[0].image_url == site.url("/image?id=4101&w=800")
    assert results[0].image_source is not None
    assert results[0].image_source.startswith("media:content; JPEG 1000x600")
    assert results[1].image_url is None  # a 200 answer that is an HTML page, not a photo
    assert results[1].photo_note == "enclosure: not an image (text/html)"
    assert results[2].image_url == site.url("/photo?id=4103")
    assert site.hits["/image"] == 1 and site.hits["/image/48213/1200/"] == 1


async def page_photo(site: Site, fetcher: Fetcher, page: str) -> Enriched:
    """The enrichment of a teaser entry, without a photo of its own, linking to ``page``."""
    feed_url, entries = teaser_entries(site)
    entry = replace(entries[0], url=site.url(f"/pages/{page}"), images=())
    return await enrich_entry(entry, fetcher, feed_url=feed_url, sentences=1)


async def test_a_relative_og_image_is_resolved_and_checked(site: Site, fetcher: Fetcher) -> None:
    result = await page_photo(site, fetcher, "og_image_relative.html")
    assert result.image_url == site.url("/media/2026/11/harvest-1200.jpg")


async def test_link_image_src_is_the_photo_of_a_page_without_og_image(
    site: Site, fetcher: Fetcher
) -> None:
    result = await page_photo(site, fetcher, "link_image_src.html")
    assert result.image_url == site.url("/uploads/library-reopens.jpg")
    assert result.image_source is not None and result.image_source.startswith("image_src;")


async def test_og_image_that_is_the_publishers_logo_is_not_the_photo(
    site: Site, fetcher: Fetcher
) -> None:
    result = await page_photo(site, fetcher, "og_image_site_logo.html")
    assert result.image_url is None
    assert result.photo_note is not None and "og:image: the site's logo" in result.photo_note
    assert site.hits["/img/photo-masthead.jpg"] == 0


async def test_og_image_named_logo_gives_way_to_the_next_image(
    site: Site, fetcher: Fetcher
) -> None:
    result = await page_photo(site, fetcher, "og_image_logo_path.html")
    assert result.image_url == site.url("/img/photo-trams.jpg")
    assert site.hits["/img/site-logo-share.jpg"] == 0


async def test_a_small_square_share_badge_is_not_the_photo(site: Site, fetcher: Fetcher) -> None:
    result = await page_photo(site, fetcher, "og_image_square_brand.html")
    assert result.image_url is None
    assert result.photo_note is not None and "a brand image" in result.photo_note


async def test_the_same_og_image_on_two_pages_of_a_site_is_its_default(
    site: Site, fetcher: Fetcher
) -> None:
    first = await page_photo(site, fetcher, "og_image_site_default.html?id=1")
    second = await page_photo(site, fetcher, "og_image_site_default.html?id=2")
    assert first.image_url == site.url("/img/photo-default.jpg")
    assert second.image_url is None
    assert second.photo_note is not None and "on other pages of the site" in second.photo_note


async def test_the_articles_first_paragraph_is_preferred_over_the_feeds_teaser(
    site: Site, fetcher: Fetcher
) -> None:
    feed_url, entries = teaser_entries(site)
    teaser = (
        "Heavy snowfall in the mountains has closed one of the region's busiest roads, and "
        "drivers are asked to wait until road services clear the pass, officials said."
    )
    entry = replace(
        entries[0],
        title="Snow closes the mountain road",
        url=site.url("/pages/lead_paragraph_after_teaser.html"),
        summary=teaser,
        text=teaser,
        images=(),
    )
    result = await enrich_entry(entry, fetcher, feed_url=feed_url, sentences=1)
    assert result.summary == "Snow closed the Kordai pass on Tuesday."
