"""The fetcher against a real local HTTP server: bounded, conditional, and careful with links."""

from __future__ import annotations

from typing import Any

import pytest

from bot.feeds.fetcher import Fetcher, FetchError, Refused, TooLarge
from config.settings import PollingSettings

SETTINGS = PollingSettings(timeout=2, max_bytes=64 * 1024, max_redirects=2)


@pytest.fixture
async def fetcher() -> Any:
    client = Fetcher(SETTINGS, allow_private=True)
    yield client
    await client.aclose()


async def test_conditional_get_is_answered_with_304(feed_server: Any, fetcher: Fetcher) -> None:
    feed_server.put("/rss", b"<rss/>")
    first = await fetcher.get(feed_server.url("/rss"))
    assert first.status == 200 and first.etag and first.last_modified
    again = await fetcher.get(
        feed_server.url("/rss"), etag=first.etag, last_modified=first.last_modified
    )
    assert again.not_modified and again.body == b""
    assert feed_server.not_modified("/rss") == 1


async def test_a_body_over_the_cap_is_refused(feed_server: Any, fetcher: Fetcher) -> None:
    feed_server.put("/huge", b"x" * (SETTINGS.max_bytes + 1))
    with pytest.raises(TooLarge):
        await fetcher.get(feed_server.url("/huge"))


async def test_peek_reads_only_the_head_of_a_large_body(feed_server: Any, fetcher: Fetcher) -> None:
    feed_server.put("/photo.jpg", b"J" * 500_000, content_type="image/jpeg")
    head = await fetcher.get(feed_server.url("/photo.jpg"), max_bytes=1024, peek=True)
    assert len(head.body) == 1024 and head.truncated and head.declared_size == 500_000


async def test_peek_of_a_small_body_is_the_whole_body(feed_server: Any, fetcher: Fetcher) -> None:
    feed_server.put("/small.jpg", b"tiny", content_type="image/jpeg")
    result = await fetcher.get(feed_server.url("/small.jpg"), max_bytes=1024, peek=True)
    assert result.body == b"tiny" and not result.truncated


async def test_redirects_are_followed_within_the_bound(feed_server: Any, fetcher: Fetcher) -> None:
    feed_server.put("/final", b"here")
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/final")
    result = await fetcher.get(feed_server.url("/a"))
    assert result.body == b"here" and result.url == feed_server.url("/final")
    feed_server.redirect("/c", "/a")
    with pytest.raises(FetchError, match="redirects"):
        await fetcher.get(feed_server.url("/c"))


async def test_a_link_inside_a_feed_may_not_reach_a_private_address(feed_server: Any) -> None:
    strict = Fetcher(SETTINGS, allow_private=False)
    try:
        feed_server.put("/page", b"secret")
        with pytest.raises(Refused, match="non-public"):
            await strict.get(feed_server.url("/page"), trusted_origin="https://news.example.kz/rss")
        # The feed's own origin is trusted, even on loopback.
        own = await strict.get(feed_server.url("/page"), trusted_origin=feed_server.url("/rss"))
        assert own.body == b"secret"
    finally:
        await strict.aclose()


async def test_a_redirect_is_checked_at_every_hop(feed_server: Any) -> None:
    strict = Fetcher(SETTINGS, allow_private=False)
    try:
        feed_server.put("/inside", b"intranet")
        feed_server.redirect("/go", "http://127.0.0.2:9/inside")
        with pytest.raises(Refused):
            await strict.get(feed_server.url("/go"), trusted_origin=feed_server.url("/rss"))
    finally:
        await strict.aclose()


async def test_only_http_and_https_are_fetched(fetcher: Fetcher) -> None:
    with pytest.raises(Refused, match="only http and https"):
        await fetcher.get("file:///etc/passwd")


async def test_a_slow_server_times_out(feed_server: Any, fetcher: Fetcher) -> None:
    feed_server.put("/slow", b"late")
    feed_server.delay("/slow", 5)
    with pytest.raises(FetchError, match="timed out"):
        await fetcher.get(feed_server.url("/slow"))
