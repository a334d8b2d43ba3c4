"""Every fixture feed renders to its golden posts (tests/data/goldens/<fixture>.txt).

The pipeline is the offline half of a real poll: parse the fixture, summarise
each entry from the feed's own text, take its best photo candidate, render
(caption with a photo, text without) in the fixture's language.

To regenerate after an intended change, run
    NEWSBOT_REGEN_GOLDENS=1 python -m pytest tests/unit/test_render_goldens.py
and review the diff of tests/data/goldens/ before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.articles.enrich import from_feed, post_content
from bot.feeds.parser.document import parse_feed
from bot.render.post import render_post
from bot.sandbox.entities.parser import parse_html
from tests.unit.test_render_htmlcheck import check_telegram_html

DATA = Path(__file__).parents[1] / "data"
FEEDS = sorted(p for p in (DATA / "feeds").iterdir() if p.name != "not_a_feed.xml")
REGENERATE = os.environ.get("NEWSBOT_REGEN_GOLDENS") == "1"
FEED_URL = "https://feeds.example.com/"


def _language(fixture: Path) -> str:
    if fixture.name.startswith("russian"):
        return "ru"
    return "kk" if fixture.name.startswith("kazakh") else "en"


def render_fixture(fixture: Path) -> str:
    """The golden text for one fixture: every entry's post, with its photo and length."""
    feed = parse_feed(fixture.read_bytes(), FEED_URL + fixture.name)
    language = _language(fixture)
    blocks = [f"# {fixture.name} rendered in {language}; bozo: {feed.bozo or 'no'}"]
    for number, entry in enumerate(feed.entries, 1):
        enriched = from_feed(entry, 3)
        content = post_content(enriched, entry, source_name=feed.title, topic="news")
        post = render_post(content, language, as_caption=enriched.image_url is not None)
        check_telegram_html(post.html)
        parse_html(post.html)  # the emulator's validator accepts it too
        blocks.append(
            "\n".join(
                [
                    f"## entry {number}: key={entry.key}",
                    f"photo: {enriched.image_url or 'none'} ({enriched.image_source or '-'})",
                    f"as_caption: {post.as_caption}; length: {post.length}",
                    *(f"button: {label} -> {url}" for label, url in post.buttons),
                    post.html,
                ]
            )
        )
    return "\n\n".join(blocks) + "\n"


@pytest.mark.parametrize("fixture", FEEDS, ids=[p.name for p in FEEDS])
def test_fixture_renders_to_its_golden_posts(fixture: Path) -> None:
    golden = DATA / "goldens" / (fixture.stem + ".txt")
    rendered = render_fixture(fixture)
    if REGENERATE:
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"no golden for {fixture.name}: run with NEWSBOT_REGEN_GOLDENS=1"
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fixture", FEEDS, ids=[p.name for p in FEEDS])
def test_fixture_states_what_it_shows(fixture: Path) -> None:
    head = fixture.read_text(encoding="latin-1")[:600]
    assert "shows:" in head
