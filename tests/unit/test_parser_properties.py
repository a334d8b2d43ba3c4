"""Property tests: whatever a feed's items say, parsing yields plain-text entries or ValueError."""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds.parser.document import parse_feed
from bot.render.post import PostContent, render_post
from bot.sandbox.entities.parser import parse_html

# Characters XML 1.0 allows; the rest cannot appear in a well-formed feed at all.
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff").filter(
        lambda ch: ch in "\t\n\r" or ord(ch) >= 0x20
    ),
    max_size=200,
)
MARKUP = st.sampled_from(
    [
        "<b>",
        "</i>",
        "<script>alert(1)</script>",
        "<img src='x' onerror=1>",
        "&amp;",
        "&nbsp;",
        "<a href='javascript:x'>",
        "<tg-spoiler>",
        "<!--",
        "]]>",
        "&#0;",
        "<p>",
        "</div>",
    ]
)
FIELD = st.lists(st.one_of(XML_TEXT, MARKUP), max_size=12).map("".join)


def rss(title: str, description: str, link: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://e.com/</link><item><title>{escape(title)}</title>"
        f"<link>{escape(link)}</link><description>{escape(description)}</description>"
        "</item></channel></rss>"
    ).encode()


@settings(max_examples=200, deadline=None)
@given(title=FIELD, description=FIELD, link=FIELD)
def test_hostile_items_parse_to_plain_text_that_renders(
    title: str, description: str, link: str
) -> None:
    feed = parse_feed(rss(title, description, link), "https://e.com/rss")
    [entry] = feed.entries
    assert "\n" not in entry.title and entry.title == entry.title.strip()
    assert entry.url is None or entry.url.startswith(("http://", "https://"))
    post = render_post(PostContent(entry.title, entry.summary, entry.url), as_caption=True)
    parse_html(post.html)
