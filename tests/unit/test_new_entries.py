"""What is new in a feed and what gets posted: pure policy."""

from datetime import UTC, datetime, timedelta

from bot.feeds.parser.model import Entry, entry_key
from bot.feeds.refresh import publication_order, select_new, to_post

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def entry(key: str, minutes: int | None) -> Entry:
    published = T0 + timedelta(minutes=minutes) if minutes is not None else None
    return Entry(key=key, url=None, title=key, summary="", published_at=published)


def keys(entries: list[Entry]) -> list[str]:
    return [e.key for e in entries]


def test_known_entries_are_not_new() -> None:
    feed = [entry("c", 3), entry("b", 2), entry("a", 1)]
    assert keys(select_new(feed, {"a", "b"})) == ["c"]


def test_an_entry_repeated_in_one_feed_is_new_once() -> None:
    assert keys(select_new([entry("a", 1), entry("a", 1)], set())) == ["a"]


def test_posts_go_out_oldest_first_by_date() -> None:
    feed = [entry("b", 2), entry("c", 3), entry("a", 1)]
    assert keys(publication_order(feed)) == ["a", "b", "c"]


def test_undated_entries_follow_the_feeds_newest_first_order() -> None:
    feed = [entry("c", None), entry("b", 2), entry("a", None)]
    assert keys(publication_order(feed)) == ["a", "b", "c"]


def test_a_feeds_first_poll_posts_nothing_without_backfill() -> None:
    assert to_post([entry("b", 2), entry("a", 1)], first_poll=True, backfill=0) == []


def test_a_feeds_first_poll_posts_the_backfill_newest_oldest_first() -> None:
    feed = [entry("c", 3), entry("b", 2), entry("a", 1)]
    assert keys(to_post(feed, first_poll=True, backfill=2)) == ["b", "c"]


def test_later_polls_post_everything_new() -> None:
    feed = [entry("c", 3), entry("b", 2)]
    assert keys(to_post(feed, first_poll=False, backfill=0)) == ["b", "c"]


def test_identity_is_the_guid_first() -> None:
    assert entry_key("urn:1", "https://x/1", "T", None) == "urn:1"


def test_identity_falls_back_to_the_link() -> None:
    assert entry_key(None, "https://x/1", "T", None) == "https://x/1"


def test_identity_without_guid_or_link_is_a_stable_hash_of_title_and_date() -> None:
    first = entry_key(None, None, "Title", "Mon, 01 Jan 2026")
    assert first == entry_key("", " ", "Title", "Mon, 01 Jan 2026")
    assert first != entry_key(None, None, "Title", "Tue, 02 Jan 2026")
    assert first.startswith("sha256:")
