"""render_post: one named test per rule of a post's shape, escaping and fit."""

from __future__ import annotations

import pytest

from bot.render.post import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    PostContent,
    render_post,
    telegram_length,
)
from bot.render.telegram_html import Span, linkify, safe_url, to_html, truncate
from tests.unit.test_render_htmlcheck import check_telegram_html

ARTICLE = PostContent(
    title="Bridge opens",
    summary="The bridge opened on Monday. Traffic moved at once. Residents cheered.",
    url="https://news.example.kz/bridge?id=1&src=rss",
    source_name="Example News",
    topic="city",
)


def test_article_post_has_title_summary_source_link_and_hashtag() -> None:
    post = render_post(ARTICLE, "en", as_caption=True)
    assert post.html == (
        "<b>Bridge opens</b>\n\nThe bridge opened on Monday. Traffic moved at once. "
        'Residents cheered.\n\nSource: <a href="https://news.example.kz/bridge?id=1&amp;src=rss">'
        "Example News</a> #city"
    )
    assert post.buttons == (("Read more", "https://news.example.kz/bridge?id=1&src=rss"),)
    assert post.as_caption is True
    assert post.link_url == ARTICLE.url


@pytest.mark.parametrize(
    ("language", "read_more", "source"),
    [
        ("en", "Read more", "Source"),
        ("ru", "Читать полностью", "Источник"),
        ("kk", "Толығырақ", "Дереккөз"),
    ],
)
def test_fixed_words_are_in_the_chat_language(language: str, read_more: str, source: str) -> None:
    post = render_post(ARTICLE, language, as_caption=False)
    assert post.buttons[0][0] == read_more
    assert f"{source}: <a " in post.html


def test_everything_from_the_feed_is_escaped() -> None:
    content = PostContent(
        title="<script>x</script> & <b>",
        summary="1 < 2 & 3 > 2 &amp;",
        source_name="<i>S</i>",
        url='https://e.com/?a="1"&b=<2>',
        credit="Photo: <b>AP</b>",
        topic="<x>",
    )
    post = render_post(content, as_caption=True)
    visible = check_telegram_html(post.html)
    assert "<script>x</script> & <b>" in visible
    assert "1 < 2 & 3 > 2 &amp;" in visible
    assert "%22" in post.buttons[0][1] and '"' not in post.buttons[0][1]


def test_credit_is_on_its_own_line_in_italics() -> None:
    post = render_post(PostContent("T", "Body.", credit="Фото: Минюст"), as_caption=True)
    assert "\n\n<i>Фото: Минюст</i>" in post.html


def test_caption_shrinks_the_summary_at_a_sentence_end() -> None:
    summary = " ".join(f"Sentence number {i} is here." for i in range(200))
    post = render_post(PostContent("Title", summary, "https://e.com/a", "E"), as_caption=True)
    visible = check_telegram_html(post.html)
    assert telegram_length(visible) <= CAPTION_LIMIT
    assert post.length == telegram_length(visible)
    body = visible.split("\n\n")[1]
    assert body.endswith("is here.")
    assert visible.endswith("Source: E")


def test_summary_without_sentence_ends_is_cut_at_a_word_with_an_ellipsis() -> None:
    summary = "word " * 1000
    post = render_post(PostContent("Title", summary), as_caption=True)
    body = check_telegram_html(post.html).split("\n\n")[1]
    assert body.endswith("word…")
    assert telegram_length(check_telegram_html(post.html)) <= CAPTION_LIMIT


def test_a_huge_title_is_cut_too() -> None:
    post = render_post(PostContent("Title " * 2000, "Summary."), as_caption=False)
    assert telegram_length(check_telegram_html(post.html)) <= TEXT_LIMIT


def test_length_counts_utf16_units_of_astral_emoji() -> None:
    assert telegram_length("🚀a") == 3
    post = render_post(PostContent("🚀" * 600, "🔥" * 600), as_caption=True)
    assert telegram_length(check_telegram_html(post.html)) <= CAPTION_LIMIT


def test_topic_becomes_a_valid_hashtag() -> None:
    post = render_post(PostContent("T", topic="World politics / Asia"), as_caption=False)
    assert post.html.endswith("#World_politics_Asia")


def test_a_non_http_link_is_not_a_link_or_a_button() -> None:
    post = render_post(PostContent("T", url="javascript:alert(1)"), as_caption=False)
    assert "href" not in post.html and post.buttons == ()


def test_an_empty_text_post_is_never_empty() -> None:
    post = render_post(PostContent(""), as_caption=False)
    assert check_telegram_html(post.html).strip()


@pytest.mark.parametrize(
    ("language", "mark"), [("en", "⚡ BREAKING"), ("ru", "⚡ СРОЧНО"), ("kk", "⚡ ШҰҒЫЛ")]
)
def test_breaking_text_is_shown_literally_under_the_mark(language: str, mark: str) -> None:
    text = "Use <b> & stay\nsafe: https://gov.example.kz/alert?a=1&b=2. More soon"
    post = render_post(PostContent("", text=text, breaking=True), language, as_caption=False)
    visible = check_telegram_html(post.html)
    assert visible == f"{mark}\n\n{text}"
    assert f"<b>{mark}</b>" in post.html
    assert '<a href="https://gov.example.kz/alert?a=1&amp;b=2">' in post.html
    assert post.buttons[0][1] == "https://gov.example.kz/alert?a=1&b=2"
    assert post.link_url == "https://gov.example.kz/alert?a=1&b=2"


def test_breaking_text_without_a_url_has_no_button() -> None:
    post = render_post(PostContent("", text="Storm warning", breaking=True), as_caption=True)
    assert post.buttons == ()
    assert check_telegram_html(post.html) == "⚡ BREAKING\n\nStorm warning"


def test_breaking_text_too_long_is_cut_without_splitting_a_link() -> None:
    text = "x " * 2000 + "https://e.com/" + "a" * 300
    post = render_post(PostContent("", text=text, breaking=True), as_caption=True)
    visible = check_telegram_html(post.html)
    assert telegram_length(visible) <= CAPTION_LIMIT


def test_breaking_article_gets_the_mark_above_the_title() -> None:
    content = PostContent("Quake", "Felt in Almaty.", breaking=True)
    post = render_post(content, "ru", as_caption=True)
    assert post.html.startswith("<b>⚡ СРОЧНО</b>\n\n<b>Quake</b>")


def test_builder_drops_unsendable_characters() -> None:
    assert to_html([Span("a\x00b\ud800c\x07", "bold")]) == "<b>abc</b>"


def test_linkify_keeps_trailing_punctuation_out_of_the_link() -> None:
    spans = linkify("see (https://e.com/x).")
    assert [s.href for s in spans if s.href] == ["https://e.com/x"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://e.com/a b", "https://e.com/a%20b"),
        ("ftp://e.com/x", None),
        ("https://", None),
        ("", None),
        ("https://e.com/" + "a" * 3000, None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_truncate_never_splits_a_word() -> None:
    assert truncate("alpha beta gamma", 12) == "alpha beta…"
    assert truncate("alpha beta gamma", 11) == "alpha beta…"
    assert truncate("alpha beta gamma", 100) == "alpha beta gamma"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("The U.S. envoy met Mr. Smith in Astana on Monday.", "They spoke for hours. " * 60),
        ("Посол США встретился с А. Смирновым в Астане.", "Они говорили долго и подробно. " * 50),
        ("Әкім Ж. Сәрсенов жаңа мектепті ашты.", "Мектепте 1200 оқушы оқиды және бәрі риза. " * 40),
    ],
)
def test_a_shorter_whole_sentence_beats_a_longer_one_cut_in_the_middle(
    first: str, second: str
) -> None:
    summary = first + " " + second.replace(". ", ", ").strip()  # the second runs on and on
    post = render_post(PostContent("Title", summary, "https://e.com/a", "E"), as_caption=True)
    body = check_telegram_html(post.html).split("\n\n")[1]
    assert body == first
