"""The sentences commands end with, and `newsbot check`'s verdicts: one test per rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.cli.preflight import (
    FAIL,
    OK,
    SKIP,
    Check,
    check_line,
    migration_verdict,
    posting_verdict,
    verdict_sentence,
)
from bot.cli.sentences import failure_sentence, one_line, plural, poll_sentence, run_sentence


@dataclass
class Polled:
    feed_id: int
    status: str
    posts: list[int] = field(default_factory=list)
    error: str | None = None


@dataclass
class Drained:
    sent: int
    failed: int = 0
    remaining: int = 0


URLS = {1: "https://a.example/rss", 2: "https://b.example/rss", 3: "https://c.example/rss"}


def test_plural_adds_s_or_takes_the_given_form() -> None:
    assert plural(1, "feed") == "1 feed"
    assert plural(0, "feed") == "0 feeds"
    assert plural(2, "entry", "entries") == "2 entries"


def test_one_line_folds_line_breaks_and_scrubs_tokens() -> None:
    assert one_line("not a feed:\n  line 3\tcolumn 2") == "not a feed: line 3 column 2"
    assert one_line("GET /bot123456:ABCDEFGHIJKLMNOP/getMe") == "GET /bot<token>/getMe"


def test_poll_sentence_counts_feeds_and_new_articles() -> None:
    results = [Polled(1, "new", [10, 11]), Polled(2, "unchanged")]
    assert poll_sentence(results, URLS, Drained(sent=2)) == (
        "polled 2 feeds: 2 new articles; sent 2 messages"
    )


def test_poll_sentence_names_each_failed_feed_and_its_reason() -> None:
    results = [
        Polled(1, "new", [10, 11]),
        Polled(2, "unchanged"),
        Polled(3, "error", error="not a feed"),
    ]
    assert poll_sentence(results, URLS, None) == (
        "polled 3 feeds: 2 new articles, 1 feed failed (https://c.example/rss: not a feed)"
    )


def test_poll_sentence_tells_undelivered_and_queued_messages() -> None:
    sentence = poll_sentence([Polled(1, "new", [1])], URLS, Drained(sent=1, failed=2, remaining=3))
    assert sentence == (
        "polled 1 feed: 1 new article; sent 1 message, 2 could not be delivered, "
        "3 left queued for the next run"
    )


def test_an_expected_failure_is_its_message_alone() -> None:
    error = ValueError("feed.xml: not a feed: no feed elements found")
    assert failure_sentence("preview", error, expected=True) == (
        "newsbot: preview: feed.xml: not a feed: no feed elements found"
    )


def test_an_unexpected_failure_names_its_type_and_where_the_traceback_is() -> None:
    sentence = failure_sentence("run", KeyError("x"), expected=False)
    assert sentence == (
        "newsbot: run failed: KeyError: 'x' (NEWSBOT_LOG_LEVEL=DEBUG shows the traceback)"
    )


def test_a_channel_needs_an_administrator_who_may_post() -> None:
    assert posting_verdict(
        "channel", "administrator", can_post_messages=True, can_send_messages=None
    ) == (True, "administrator, may post")
    allowed, why = posting_verdict(
        "channel", "administrator", can_post_messages=False, can_send_messages=None
    )
    assert not allowed and "right to post" in why


def test_a_channel_member_may_not_post() -> None:
    assert posting_verdict("channel", "member", can_post_messages=None, can_send_messages=None) == (
        False,
        "the bot is only a member, not an administrator: make it one",
    )


def test_the_channel_owner_may_post() -> None:
    assert posting_verdict("channel", "creator", can_post_messages=None, can_send_messages=None)[0]


def test_a_group_member_may_post() -> None:
    assert posting_verdict("group", "member", can_post_messages=None, can_send_messages=None)[0]
    assert posting_verdict(
        "supergroup", "administrator", can_post_messages=None, can_send_messages=None
    )[0]


def test_a_group_restriction_counts_only_when_it_forbids_sending() -> None:
    assert posting_verdict("group", "restricted", can_post_messages=None, can_send_messages=True)[0]
    assert not posting_verdict(
        "group", "restricted", can_post_messages=None, can_send_messages=False
    )[0]


def test_a_chat_the_bot_left_or_was_banned_from_fails() -> None:
    for status, words in (("left", "not in this chat"), ("kicked", "banned from this chat")):
        allowed, why = posting_verdict(
            "group", status, can_post_messages=None, can_send_messages=None
        )
        assert not allowed and words in why


def test_a_private_chat_is_no_place_to_post() -> None:
    assert posting_verdict("private", "member", can_post_messages=None, can_send_messages=None) == (
        False,
        "a private chat, not a channel or a group",
    )


def test_a_database_is_ready_only_at_the_newest_migration() -> None:
    assert migration_verdict("0009", "0009") == (True, "migrated (revision 0009)")
    assert migration_verdict(None, "0009") == (False, "not migrated: run `newsbot db upgrade`")
    allowed, why = migration_verdict("0003", "0009")
    assert not allowed and "at revision 0003, the newest is 0009" in why


def test_the_report_lines_and_the_verdict() -> None:
    checks = [
        Check("token", OK, "fine"),
        Check("channel @x", SKIP, "not checked"),
        Check("feed u", FAIL, "x"),
    ]
    assert check_line(checks[0]) == "ok    token: fine"
    assert check_line(checks[2]) == "FAIL  feed u: x"
    assert verdict_sentence(checks) == "2 of 3 checks did not pass: channel @x, feed u"
    assert verdict_sentence(checks[:1]) == "the one check passed"


def test_run_ends_with_what_it_sent_and_what_failed() -> None:
    assert run_sentence(Drained(sent=1, failed=2, remaining=0)) == (
        "stopped: sent 1 message, 2 could not be delivered; "
        "anything still queued goes out on the next start"
    )
