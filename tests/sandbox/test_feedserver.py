"""The feed server: validators, 304s, failures, redirects and the sample content."""

from __future__ import annotations

import io

import feedparser
import httpx
import pytest
from lxml import html as lxml_html
from PIL import Image

from bot.sandbox.feedserver import FeedServer
from bot.sandbox.sample import SAMPLE_ARTICLES, serve_sample


async def test_conditional_get(feeds: FeedServer) -> None:
    feeds.put("/rss.xml", "<rss/>")
    async with httpx.AsyncClient() as client:
        first = await client.get(feeds.url("/rss.xml"))
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("application/rss+xml")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        same = await client.get(feeds.url("rss.xml"), headers={"If-None-Match": etag})
        assert same.status_code == 304
        since = await client.get(feeds.url("/rss.xml"), headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        feeds.put("/rss.xml", "<rss/>")  # same body: validators unchanged
        assert (
            await client.get(feeds.url("/rss.xml"), headers={"If-None-Match": etag})
        ).status_code == 304
        feeds.put("/rss.xml", "<rss><channel/></rss>")
        changed = await client.get(feeds.url("/rss.xml"), headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert changed.headers["last-modified"] != modified
    assert (feeds.hits("/rss.xml"), feeds.not_modified("/rss.xml")) == (5, 3)


async def test_without_validators_there_is_no_304(feeds: FeedServer) -> None:
    feeds.put("/plain.xml", "<rss/>", etag=False, last_modified=False)
    async with httpx.AsyncClient() as client:
        resp = await client.get(feeds.url("/plain.xml"), headers={"If-None-Match": "*"})
    assert resp.status_code == 200
    assert "etag" not in resp.headers


async def test_failures_delays_and_redirects(feeds: FeedServer) -> None:
    feeds.put("/new.xml", "<rss/>")
    feeds.fail("/new.xml", 503, times=2)
    feeds.redirect("/old.xml", "/new.xml")
    feeds.delay("/slow.xml", 0.2)
    async with httpx.AsyncClient(follow_redirects=True) as client:
        statuses = [(await client.get(feeds.url("/new.xml"))).status_code for _ in range(3)]
        assert statuses == [503, 503, 200]
        moved = await client.get(feeds.url("/old.xml"))
        assert (moved.status_code, str(moved.url)) == (200, feeds.url("/new.xml"))
        with pytest.raises(httpx.TimeoutException):
            await client.get(feeds.url("/slow.xml"), timeout=0.05)
        assert (await client.get(feeds.url("/missing"))).status_code == 404


async def test_put_image_serves_a_real_picture(feeds: FeedServer) -> None:
    data = feeds.put_image("/i.png", 640, 360, fmt="PNG")
    async with httpx.AsyncClient() as client:
        resp = await client.get(feeds.url("/i.png"))
    assert resp.headers["content-type"] == "image/png"
    assert resp.content == data
    assert Image.open(io.BytesIO(resp.content)).size == (640, 360)


async def test_sample_feed_points_at_the_server(feeds: FeedServer) -> None:
    feed_url = await serve_sample(feeds)
    async with httpx.AsyncClient() as client:
        resp = await client.get(feed_url)
        parsed = feedparser.parse(io.BytesIO(resp.content))
        assert not parsed.bozo
        entries = parsed.entries
        assert len(entries) == 3
        assert "48th UPR session" in entries[0].title
        assert entries[0].media_content[0]["url"].startswith(feeds.base_url)
        assert entries[1].enclosures[0]["href"].startswith(feeds.base_url)
        assert "media_content" not in entries[2] and not entries[2].enclosures
        for entry, article in zip(entries, SAMPLE_ARTICLES, strict=True):
            page = await client.get(entry.link)
            assert page.status_code == 200
            tree = lxml_html.fromstring(page.content)
            og_image = tree.xpath('//meta[@property="og:image"]/@content')[0]
            assert og_image == feeds.url(article.image)
            assert tree.xpath('//meta[@property="og:title"]/@content')[0] == article.title
            photo = await client.get(og_image)
            assert Image.open(io.BytesIO(photo.content)).size == (1200, 675)
        first_page = (await client.get(entries[0].link)).text
        for chrome in (
            "522.42",
            "543.89",
            "5.28",
            "Share:",
            "Subscribe to our Telegram channel",
            "Photo: Ministry of Justice of Kazakhstan",
        ):
            assert chrome in first_page


async def test_extra_headers_and_the_requests_headers(feeds: FeedServer) -> None:
    feeds.put("/rss.xml", "<rss/>", headers={"Cache-Control": "max-age=300"})
    async with httpx.AsyncClient(headers={"User-Agent": "newsbot-test"}) as client:
        resp = await client.get(feeds.url("/rss.xml"), headers={"If-None-Match": '"nope"'})
    assert resp.headers["cache-control"] == "max-age=300"
    sent = feeds.last_request_headers("/rss.xml")
    assert (sent["User-Agent"], sent["If-None-Match"]) == ("newsbot-test", '"nope"')
