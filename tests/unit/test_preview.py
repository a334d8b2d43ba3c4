"""`newsbot preview`: the posts for a feed URL or file, with photo, reason and length."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image

from bot.cli.preview import PreviewItem, format_preview, preview_feed
from config.settings import FeedSettings, PostSettings, Settings
from tests.unit.test_render_htmlcheck import check_telegram_html

DATA = Path(__file__).parents[1] / "data"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 675), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def site() -> AsyncIterator[str]:
    photo = _jpeg()

    async def handler(request: web.Request) -> web.StreamResponse:
        folder, _, name = request.path.strip("/").partition("/")
        if folder == "img" or folder == "uploads":
            return web.Response(body=photo, content_type="image/jpeg")
        file = DATA / folder / name
        if folder in ("feeds", "pages") and file.is_file():
            return web.Response(body=file.read_bytes(), content_type="text/html")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_preview_of_a_feed_url_shows_photo_summary_and_length(site: str) -> None:
    url = f"{site}/feeds/teaser_only.xml"
    settings = Settings(
        allow_private_fetch=True,
        feeds=(FeedSettings(url=url, name="El Example", topic="politics"),),
    )
    items = await preview_feed(url, settings, limit=5)
    assert len(items) == 2
    newest = items[0]  # the feed lists the 2025 story first; preview shows the newest first
    assert newest.title == "Мост через Ишим открыт для движения"
    upr = items[1]
    assert upr.photo_url == f"{site}/img/upr.jpg?size=large&imageuri=1"
    assert upr.photo_reason is not None and upr.photo_reason.startswith("og:image")
    assert upr.as_caption
    visible = check_telegram_html(upr.html)
    assert "Minister of Justice" in visible and "Subscribe" not in visible
    assert visible.endswith("Source: El Example #politics")
    assert upr.length == len(visible.encode("utf-16-le")) // 2 <= 1024


async def test_preview_of_a_file_uses_the_chat_language(site: str, tmp_path: Path) -> None:
    body = (DATA / "feeds" / "kazakh_text.xml").read_bytes()
    feed = tmp_path / "kazakh.xml"
    feed.write_bytes(body.replace(b"https://aqparat.example.kz", site.encode()))
    settings = Settings(allow_private_fetch=True, post=PostSettings(language="kk"))
    items = await preview_feed(str(feed), settings, limit=1)
    [item] = items
    assert item.photo_url == f"{site}/uploads/bagdarlama-1200.jpg"
    assert item.buttons == (("Толығырақ", f"{site}/news/ukimet-bagdarlama"),)
    assert "Дереккөз: " in item.html


def test_format_preview_prints_html_photo_reason_and_length() -> None:
    items = [
        PreviewItem(
            "A",
            "<b>A</b>",
            "https://e.com/a.jpg",
            "media:content (1200x675)",
            120,
            True,
            (("Read more", "https://e.com/a"),),
        ),
        PreviewItem("B", "<b>B</b>", None, "the entry names no photo", 30, False),
    ]
    out = format_preview(items)
    assert "=== post 1/2: A" in out
    assert "photo: https://e.com/a.jpg\n  why: media:content (1200x675)" in out
    assert "length: 120/1024 (photo caption" in out
    assert "photo: none (the entry names no photo)" in out
    assert "length: 30/4096 (text message" in out
    assert "button: [Read more] https://e.com/a" in out
    assert "--- HTML\n<b>A</b>" in out


def test_format_preview_of_an_empty_feed() -> None:
    assert format_preview([]) == "the feed has no entries: there is nothing to preview"
