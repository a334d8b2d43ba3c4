"""OPML parsing and building: one fixture per behaviour in tests/data/opml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feeds.opml import OpmlError, OpmlFeed, build_opml, parse_opml

DATA = Path(__file__).parent.parent / "data" / "opml"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_folders_become_topics() -> None:
    feeds = parse_opml(read("folders.opml"))
    assert feeds == [
        OpmlFeed("https://example.kz/parliament.xml", "Parliament", "politics"),
        OpmlFeed("https://example.kz/gov.xml", "Government", "politics"),
        OpmlFeed("https://example.kz/football.xml", "Football", "sport"),
        OpmlFeed("https://example.kz/all.xml", "Everything", None),
    ]


def test_category_attribute_wins_and_duplicates_are_dropped() -> None:
    feeds = parse_opml(read("category.opml"))
    assert feeds == [
        OpmlFeed("https://example.kz/world.xml", "World", "world"),
        OpmlFeed("https://example.kz/economy.xml", "Economy", "economy"),
    ]


def test_entities_are_not_expanded() -> None:
    with pytest.raises(OpmlError, match="entities"):
        parse_opml(read("entities.opml"))


def test_internal_entities_are_refused_too() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<opml version="2.0"><body><outline text="x&b;" xmlUrl="https://e.example/r"/>'
        b"</body></opml>"
    )
    with pytest.raises(OpmlError, match="entities"):
        parse_opml(bomb)


@pytest.mark.parametrize(
    ("name", "reason"),
    [("broken.opml", "not well-formed"), ("not-opml.xml", "not an OPML document")],
)
def test_bad_files_are_reported(name: str, reason: str) -> None:
    with pytest.raises(OpmlError, match=reason):
        parse_opml(read(name))


def test_empty_input_is_reported() -> None:
    with pytest.raises(OpmlError):
        parse_opml(b"")


def test_build_then_parse_round_trips() -> None:
    feeds = [
        OpmlFeed("https://a.example/rss", "A & B <news>", "politics"),
        OpmlFeed("https://b.example/atom", None, None),
        OpmlFeed("https://c.example/rss?x=1&y=2", "Ц", "world news"),
    ]
    again = parse_opml(build_opml(feeds))
    assert sorted(again, key=lambda f: f.url) == [
        OpmlFeed("https://a.example/rss", "A & B <news>", "politics"),
        OpmlFeed("https://b.example/atom", "https://b.example/atom", None),
        OpmlFeed("https://c.example/rss?x=1&y=2", "Ц", "world news"),
    ]


def test_build_groups_topics_in_folders() -> None:
    document = build_opml([OpmlFeed("https://a.example/rss", "A", "sport")]).decode()
    assert document.startswith("<?xml version='1.0' encoding='UTF-8'?>")
    assert '<outline text="sport" title="sport">' in document
    assert 'category="/sport"' in document
