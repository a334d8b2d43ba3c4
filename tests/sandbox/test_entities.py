"""Telegram HTML parsing: the visible text, entity offsets in UTF-16, and Telegram's errors."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.entities.parser import parse_html
from bot.sandbox.entities.text import EntityParseError, utf16_len


def test_plain_text_has_no_entities() -> None:
    assert parse_html("Hello, Astana") == parse_html("Hello, Astana")
    parsed = parse_html("Hello, Astana")
    assert (parsed.text, parsed.entities) == ("Hello, Astana", [])


@pytest.mark.parametrize(
    ("tag", "entity_type"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_each_supported_tag_makes_its_entity(tag: str, entity_type: str) -> None:
    parsed = parse_html(f"x <{tag}>word</{tag}> y")
    assert parsed.text == "x word y"
    assert parsed.entities == [{"type": entity_type, "offset": 2, "length": 4}]


def test_tags_are_case_insensitive() -> None:
    assert parse_html("<B>x</B>").entities == [{"type": "bold", "offset": 0, "length": 1}]


def test_link_keeps_its_decoded_url() -> None:
    parsed = parse_html('<a href="https://dala.kz/a?b=1&amp;c=2">Read</a>')
    assert parsed.text == "Read"
    assert parsed.entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://dala.kz/a?b=1&c=2"}
    ]


def test_user_link_becomes_text_mention() -> None:
    (entity,) = parse_html('<a href="tg://user?id=42">Aigerim</a>').entities
    assert entity["type"] == "text_mention"
    assert entity["user"]["id"] == 42


def test_spoiler_span_and_expandable_blockquote() -> None:
    assert parse_html('<span class="tg-spoiler">s</span>').entities[0]["type"] == "spoiler"
    quote = parse_html("<blockquote expandable>long</blockquote>").entities[0]
    assert quote["type"] == "expandable_blockquote"


def test_pre_with_code_language_is_one_pre_entity() -> None:
    parsed = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_custom_emoji_and_time() -> None:
    emoji = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>').entities[0]
    assert emoji == {
        "type": "custom_emoji",
        "offset": 0,
        "length": 2,  # U+1F44D is two UTF-16 code units
        "custom_emoji_id": "5368324170671202286",
    }
    when = parse_html('<tg-time unix="1647531900" format="wDT">Thu</tg-time>').entities[0]
    assert when["unix_time"] == 1647531900
    assert when["date_time_format"] == "wDT"


def test_offsets_and_lengths_count_utf16_code_units() -> None:
    parsed = parse_html("😀 <b>Қазақ 😀</b> <i>x</i>")
    assert parsed.text == "😀 Қазақ 😀 x"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 8},
        {"type": "italic", "offset": 12, "length": 1},
    ]
    assert parsed.length == utf16_len(parsed.text) == 13


def test_nested_entities_are_sorted_outer_first() -> None:
    parsed = parse_html("<b>bold <i>both</i></b>")
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
    ]


def test_nothing_may_nest_inside_code() -> None:
    parsed = parse_html("<code><b>x</b></code>")
    assert parsed.entities == [{"type": "code", "offset": 0, "length": 1}]


def test_blockquotes_do_not_nest() -> None:
    parsed = parse_html("<blockquote>a <blockquote>b</blockquote></blockquote>")
    assert [e["type"] for e in parsed.entities] == ["blockquote"]


def test_empty_tags_make_no_entity() -> None:
    assert parse_html("a<b></b>b").entities == []


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("&lt;&gt;&amp;&quot;", '<>&"'),
        ("&#8212; &#x41;", "— A"),
        ("&#8212 no semicolon", "— no semicolon"),
        ("&nbsp;&mdash;", "&nbsp;&mdash;"),  # only four named entities are supported
        ("AT&T", "AT&T"),
        ("&#0;", "&#0;"),
    ],
)
def test_character_references(markup: str, text: str) -> None:
    assert parse_html(markup).text == text


@pytest.mark.parametrize(
    ("markup", "detail"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("Астана <div>x</div>", 'Unsupported start tag "div" at byte offset 13'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</i>", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ('<a href="x>t</a>', "Unclosed start tag at byte offset 0"),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        (
            "é<i x>y</i>",
            'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 2',
        ),
        ("<i x =  ", 'Unclosed start tag "i" at byte offset 0'),
        ("<i x=1.a,>", "Unexpected end of name token at byte offset 5"),
        ("<i =x>", 'Empty attribute name in the tag "i" at byte offset 0'),
        (
            "&#xDFDF;",
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units",
        ),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_errors_carry_telegrams_detail(markup: str, detail: str) -> None:
    with pytest.raises(EntityParseError) as err:
        parse_html(markup)
    assert str(err.value) == detail


@pytest.mark.parametrize(
    ("markup", "url"),
    [
        ('<a href="https://dala.kz/a?b=1">x</a>', "https://dala.kz/a?b=1"),
        ('<a href="https://dala.kz">x</a>', "https://dala.kz/"),
        ("<a href=dala.kz>x</a>", "http://dala.kz/"),
        ("<a href='dala.kz?q=&lt;'>x</a>", "http://dala.kz/?q=<"),
        ("<a>dala.kz</a>", "http://dala.kz/"),
        ('<a href="tg://resolve?domain=dala_news">x</a>', "tg://resolve?domain=dala_news"),
    ],
)
def test_link_urls_are_normalized_like_telegram(markup: str, url: str) -> None:
    assert parse_html(markup).entities[0]["url"] == url


@pytest.mark.parametrize("markup", ["<a> </a>", "<a>dala.kz </a>", '<a href="as">x</a>'])
def test_links_telegram_cannot_use_are_dropped(markup: str) -> None:
    assert parse_html(markup).entities == []


@pytest.mark.parametrize(
    ("markup", "entities"),
    [
        ('<code class="language-go"><pre>x</pre></code>', [("pre", 0, 1, "go")]),
        ("<pre><code>x</code></pre>", [("pre", 0, 1, None)]),
        ('<pre><code class="language-go">x</code> </pre>', [("pre", 0, 2, None)]),
        ('<code class="language-go">x</code>', [("code", 0, 1, None)]),
    ],
)
def test_pre_and_code_combine_only_over_the_same_text(
    markup: str, entities: list[tuple[str, int, int, str | None]]
) -> None:
    got = [
        (e["type"], e["offset"], e["length"], e.get("language"))
        for e in parse_html(markup).entities
    ]
    assert got == entities


def test_empty_end_tag_closes_the_innermost_tag() -> None:
    parsed = parse_html("<b>a<i>b</></>")
    assert [e["type"] for e in parsed.entities] == ["bold", "italic"]


def test_link_without_usable_url_keeps_only_text() -> None:
    parsed = parse_html('<a href="javascript:alert(1)">x</a>')
    assert (parsed.text, parsed.entities) == ("x", [])


def test_strip_moves_and_clips_entities_like_telegram() -> None:
    parsed = parse_html("\n <b> 😀 bold</b> tail <i> </i>\n").strip()
    assert parsed.text == "😀 bold tail"
    assert parsed.entities == [{"type": "bold", "offset": 0, "length": 7}]
    assert parse_html("  \n").strip().text == ""
    same = parse_html("<b>x</b>")
    assert same.strip() is same


# Text that Telegram's HTML mode must show exactly as given once escaped.
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
_TAGS = st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler", "blockquote"])


@given(_TEXT)
def test_escaped_text_round_trips(text: str) -> None:
    parsed = parse_html(html.escape(text, quote=False))
    assert (parsed.text, parsed.entities) == (text, [])


@given(st.lists(st.tuples(_TAGS, _TEXT), max_size=6))
def test_entities_point_at_their_text(pieces: list[tuple[str, str]]) -> None:
    markup = "".join(f"<{tag}>{html.escape(text, quote=False)}</{tag}>" for tag, text in pieces)
    parsed = parse_html(markup)
    assert parsed.text == "".join(text for _, text in pieces)
    encoded = parsed.text.encode("utf-16-le")
    non_empty = [(tag, text) for tag, text in pieces if text]
    assert len(parsed.entities) == len(non_empty)
    for entity, (_, text) in zip(parsed.entities, non_empty, strict=True):
        start, length = entity["offset"] * 2, entity["length"] * 2
        assert encoded[start : start + length].decode("utf-16-le") == text


@given(st.text(max_size=60))
def test_arbitrary_input_parses_or_raises_entity_parse_error(markup: str) -> None:
    try:
        parsed = parse_html(markup)
    except EntityParseError as err:
        assert str(err)
    else:
        assert utf16_len(parsed.text) <= utf16_len(markup)
