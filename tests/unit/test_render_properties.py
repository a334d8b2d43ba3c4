"""Property tests: whatever a feed or an editor writes, the post is valid and fits.

Two judges: the strict checker in test_render_htmlcheck and the Bot API
emulator's own validator, ``bot.sandbox.entities.parser.parse_html`` (TDLib's rules).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render.post import CAPTION_LIMIT, TEXT_LIMIT, PostContent, render_post, telegram_length
from bot.sandbox.entities.parser import parse_html
from bot.sandbox.entities.text import utf16_len
from tests.unit.test_render_htmlcheck import check_telegram_html

HOSTILE = st.sampled_from(
    [
        "<",
        ">",
        "&",
        "&amp;",
        "&lt;",
        "&nbsp;",
        "&#0;",
        "&#xD800;",
        '"',
        "'",
        "<b>",
        "</b>",
        "<a href='x'>",
        "</a>",
        "<tg-spoiler>",
        "<pre>",
        "\x00",
        "\r\n",
        "\ud800",
        "\udfff",
        "\ufeff",
        "🚀",
        "👨‍👩‍👧",
        "🇰🇿",
        "әғқңөұүһі",
        "\u200b",
        "\u202e",
        " ",
        "\n",
        "javascript:",
        "https://",
    ]
)
TEXTS = st.lists(st.one_of(HOSTILE, st.text(max_size=40)), max_size=60).map("".join)
URLS = st.one_of(
    st.none(),
    TEXTS,
    st.builds(lambda path: f"https://example.com/{path}", TEXTS),
    st.just("https://e.com/" + "x" * 5000),
)
CONTENT = st.builds(
    PostContent,
    title=st.one_of(TEXTS, st.text(min_size=1000, max_size=5000)),
    summary=st.one_of(TEXTS, st.text(min_size=3000, max_size=9000)),
    url=URLS,
    source_name=st.one_of(st.none(), TEXTS),
    topic=st.one_of(st.none(), TEXTS),
    credit=st.one_of(st.none(), TEXTS),
    breaking=st.booleans(),
    text=st.one_of(st.none(), TEXTS, st.text(min_size=4000, max_size=6000)),
)
LANGUAGES = st.sampled_from(["en", "ru", "kk", "de", ""])
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(content=CONTENT, language=LANGUAGES, as_caption=st.booleans())
def test_any_content_renders_to_valid_html_within_the_limit(
    content: PostContent, language: str, as_caption: bool
) -> None:
    post = render_post(content, language, as_caption=as_caption)
    visible = check_telegram_html(post.html)
    assert telegram_length(visible) <= (CAPTION_LIMIT if as_caption else TEXT_LIMIT)
    assert post.length == telegram_length(visible)
    if not as_caption:
        assert visible.strip()
    for _label, url in post.buttons:
        assert url.startswith(("http://", "https://"))


@PROPERTY
@given(content=CONTENT, language=LANGUAGES, as_caption=st.booleans())
def test_the_emulator_accepts_every_rendered_post(
    content: PostContent, language: str, as_caption: bool
) -> None:
    post = render_post(content, language, as_caption=as_caption)
    parsed = parse_html(post.html)  # raises EntityParseError where Telegram would refuse
    assert utf16_len(parsed.text) <= (CAPTION_LIMIT if as_caption else TEXT_LIMIT)
    if not as_caption:
        assert parsed.text  # Telegram refuses an empty message (after trimming)


@PROPERTY
@given(text=TEXTS.filter(lambda t: t.strip()), language=LANGUAGES)
def test_breaking_text_is_visible_exactly_as_typed(text: str, language: str) -> None:
    post = render_post(PostContent("", text=text, breaking=False), language, as_caption=False)
    visible = check_telegram_html(post.html)
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n")
    # Only characters Telegram cannot carry are dropped; nothing is interpreted as markup.
    assert all(ch in cleaned for ch in visible if ch != "…")
    if telegram_length(text) < 3000 and "\x00" not in text and "\ud800" not in text:
        assert "<b>" not in text or "<b>" in visible
