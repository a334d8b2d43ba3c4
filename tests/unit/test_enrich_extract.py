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
