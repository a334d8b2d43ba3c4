"""Article pages: decoding, og:image from every meta, main text without chrome."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles.enrich import from_feed, is_teaser
from bot.articles.extract import decode_page, extract_page
from bot.articles.summarize import summarize
from bot.feeds.parser.model import Entry

PAGES = Path(__file__).parents[1] / "data" / "pages"
RUSSIAN = "<html><body><p>Новый мост открыли для движения в понедельник.</p></body></html>"


def test_a_page_without_any_charset_is_detected() -> None:
    body = (RUSSIAN * 5).encode("cp1251")
    assert "Новый мост" in decode_page(body, "text/html")


def test_utf8_mislabelled_as_latin1_is_read_as_utf8() -> None:
    assert "Новый мост" in decode_page(RUSSIAN.encode(), "text/html; charset=ISO-8859-1")


def test_the_http_charset_wins_over_a_wrong_meta() -> None:
    body = ('<meta charset="utf-8">' + RUSSIAN).encode("koi8-r")
    assert "Новый мост" in decode_page(body, "text/html; charset=koi8-r")


def test_og_image_in_the_body_with_name_attribute_is_found() -> None:
    page = extract_page((PAGES / "kazakh_article.html").read_bytes(), "https://el.example.kz/a")
    assert page.meta.image == "https://el.example.kz/img/upr.jpg?size=large&imageuri=1"
    assert page.meta.image_source == "og:image"
    assert page.credit == "Фото: Ministry of Justice of Kazakhstan"


def test_og_image_wins_over_a_smaller_twitter_image() -> None:
    page = extract_page((PAGES / "english_article.html").read_bytes(), "https://e.com/tram")
    assert page.meta.image == "https://cdn.example.com/tram-1200.jpg"


def test_english_page_summary_skips_kicker_headline_byline_and_dateline() -> None:
    page = extract_page((PAGES / "english_article.html").read_bytes(), "https://e.com/tram")
    summary = summarize(page.text, sentences=2, also_titles=page.headlines)
    assert summary.text.startswith("The city council voted 31 to 4 on Wednesday")
    assert "Jane Doe" not in summary.text and "TRANSPORT" not in summary.text


def test_a_page_that_is_not_html_gives_an_empty_page() -> None:
    page = extract_page(b"", "https://e.com/x")
    assert page.text == "" and page.meta.image is None


@pytest.mark.parametrize(
    ("text", "teaser"),
    [
        ("Kazakhstan at the UPR session", True),
        ("An Almaty company that flies drones over wheat fields has raised money [&#8230;]", True),
        ("A full paragraph. " * 30, False),
    ],
)
def test_teaser_detection(text: str, teaser: bool) -> None:
    entry = Entry(key="k", url="https://e.com/a", title="Title", summary=text, text=text)
    assert is_teaser(entry, from_feed(entry, 3).summary, 3) is teaser


def page_images(name: str, url: str = "https://news.example.kz/a/story") -> list[tuple[str, str]]:
    return list(extract_page((PAGES / name).read_bytes(), url).meta.images)


def test_a_relative_og_image_resolves_against_the_page() -> None:
    assert page_images("og_image_relative.html", "https://news.example.kz/a/story")[0] == (
        "https://news.example.kz/media/2026/11/harvest-1200.jpg",
        "og:image",
    )


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_protocol_relative_og_image_takes_the_pages_scheme(scheme: str) -> None:
    found = page_images("og_image_protocol_relative.html", f"{scheme}://news.example.kz/a")
    assert found == [(f"{scheme}://static.example.kz/uploads/bus-fares-1200.jpg", "og:image")]


def test_link_rel_image_src_is_a_candidate_and_the_icon_a_logo() -> None:
    page = extract_page((PAGES / "link_image_src.html").read_bytes(), "https://e.kz/a")
    assert page.meta.images == (("https://e.kz/uploads/library-reopens.jpg", "image_src"),)
    assert page.meta.logos == {"https://e.kz/favicon.png"}


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("jsonld_image_string.html", "https://news.example.kz/uploads/dombra-festival.jpg"),
        ("jsonld_image_list.html", "https://news.example.kz/uploads/eagles-16x9.jpg"),
        ("jsonld_image_object.html", "https://news.example.kz/uploads/ice-rink.jpg"),
        ("jsonld_graph_reference.html", "https://news.example.kz/uploads/kosshy-school.jpg"),
    ],
)
def test_json_ld_article_image_is_the_photo(name: str, url: str) -> None:
    page = extract_page((PAGES / name).read_bytes(), "https://news.example.kz/a")
    assert (page.meta.image, page.meta.image_source) == (url, "json-ld image")


def test_json_ld_author_portrait_is_no_candidate_and_publisher_logo_is_a_logo() -> None:
    meta = extract_page((PAGES / "jsonld_image_object.html").read_bytes(), "https://e.kz/a").meta
    assert [url for url, _ in meta.images] == ["https://news.example.kz/uploads/ice-rink.jpg"]
    assert meta.logos == {"https://news.example.kz/static/publisher.png"}


def test_og_image_comes_before_json_ld_twitter_and_image_src() -> None:
    body = (
        b'<html><head><link rel="image_src" href="/d.jpg"><meta name="twitter:image" '
        b'content="/c.jpg"><script type="application/ld+json">{"@type": "NewsArticle", '
        b'"image": "/b.jpg"}</script></head><body><meta property="og:image" content="/a.jpg">'
        b"</body></html>"
    )
    meta = extract_page(body, "https://e.kz/x").meta
    assert [(url.rsplit("/", 1)[1], source) for url, source in meta.images] == [
        ("a.jpg", "og:image"),
        ("b.jpg", "json-ld image"),
        ("c.jpg", "twitter:image"),
        ("d.jpg", "image_src"),
    ]


def test_broken_json_ld_is_ignored() -> None:
    body = b'<html><head><script type="application/ld+json">{"image": </script></head></html>'
    assert extract_page(body, "https://e.kz/x").meta.images == ()
