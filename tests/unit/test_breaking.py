"""The pure rules of breaking news: one named test per rule."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from telegram.error import BadRequest, Forbidden

from bot.newsroom.breaking.keyboards import Step, callback_data, parse_callback
from bot.newsroom.breaking.reports import (
    Change,
    ChangeReport,
    change_of,
    deletable,
    recall_report_text,
)
from bot.newsroom.breaking.texts import (
    command_argument,
    draft_refusal,
    excerpt,
    format_number,
    progress_text,
    with_status,
)
from bot.render.post import RenderedPost
from storage.deliveries import DeliveryCounts
from storage.models import Post

NOW = datetime(2026, 11, 27, 8, 0, 0)
TTL = timedelta(minutes=15)


def draft(state: str = "draft", age: timedelta = timedelta(0)) -> Post:
    return Post(kind="breaking", state=state, created_at=NOW - age, sort_at=NOW - age)


def test_callback_data_round_trips_step_and_post() -> None:
    assert parse_callback(callback_data(Step.PUBLISH, 42)) == (Step.PUBLISH, 42)
    assert callback_data(Step.CANCEL, 7) == "brk:can:7"


@pytest.mark.parametrize(
    "data",
    [None, "", "brk:pub:", "brk:pub:x", "brk:nope:1", "xyz:pub:1", "brk:pub:1:2", "brk:pub:-1"],
)
def test_malformed_callback_data_is_ignored(data: str | None) -> None:
    assert parse_callback(data) is None


def test_command_argument_keeps_the_text_as_typed_after_the_command() -> None:
    assert command_argument("/breaking <b>Hi</b> & bye") == "<b>Hi</b> & bye"
    assert command_argument("/breaking@newsbot_test_bot Line 1\nLine 2") == "Line 1\nLine 2"
    assert command_argument("/breaking\n\nFirst line") == "First line"
    assert command_argument("/breaking") == ""
    assert command_argument(None) == ""


def test_a_live_draft_may_be_published() -> None:
    assert draft_refusal(draft(age=timedelta(minutes=14)), NOW, TTL) is None


def test_a_missing_draft_is_refused() -> None:
    assert draft_refusal(None, NOW, TTL) == "This preview no longer exists."


@pytest.mark.parametrize("state", ["published", "recalled"])
def test_a_published_post_is_not_published_again(state: str) -> None:
    assert draft_refusal(draft(state), NOW, TTL) == "This post has already been published."


def test_a_cancelled_draft_is_refused() -> None:
    assert draft_refusal(draft("cancelled"), NOW, TTL) == "This preview was cancelled."


def test_an_expired_draft_is_refused() -> None:
    refusal = draft_refusal(draft(age=timedelta(minutes=16)), NOW, TTL)
    assert refusal == "This preview has expired. Send /breaking again."


def test_without_a_ttl_an_old_draft_may_still_be_cancelled() -> None:
    assert draft_refusal(draft(age=timedelta(days=3)), NOW, None) is None


def test_numbers_are_written_as_the_language_writes_them() -> None:
    assert format_number(40000, "en") == "40,000"
    assert format_number(40000, "ru") == "40\xa0000"
    assert format_number(1250, "xx") == "1,250"  # unknown language: English


def test_progress_while_sending_counts_what_was_sent() -> None:
    counts = DeliveryCounts(total=40000, sent=1250, pending=38750)
    assert progress_text(counts, "en") == "Publishing: sent to 1,250 of 40,000…"


def test_progress_when_settled_gives_the_totals() -> None:
    counts = DeliveryCounts(total=40000, sent=39000, failed=200, blocked=800)
    text = progress_text(counts, "en")
    assert text == "Done: delivered to 39,000 of 40,000. Blocked: 800. Failed: 200."


def test_status_goes_under_the_post_when_it_fits() -> None:
    rendered = RenderedPost("<b>x</b>", (), as_caption=True, length=1)
    assert with_status(rendered, "<i>Done</i>") == "<b>x</b>\n\n<i>Done</i>"


def test_status_replaces_a_post_that_would_overflow_the_caption() -> None:
    rendered = RenderedPost("y" * 1020, (), as_caption=True, length=1020)
    assert with_status(rendered, "<i>Done</i>") == "<i>Done</i>"


def test_a_message_is_deletable_only_within_48_hours() -> None:
    assert deletable(NOW - timedelta(hours=47, minutes=59), NOW)
    assert not deletable(NOW - timedelta(hours=48), NOW)
    assert deletable(None, NOW)  # unknown: ask Telegram


@pytest.mark.parametrize(
    ("error", "change"),
    [
        (BadRequest("Message can't be deleted for everyone"), Change.TOO_OLD),
        (BadRequest("Message can't be edited"), Change.TOO_OLD),
        (BadRequest("Message to delete not found"), Change.GONE),
        (BadRequest("Message to edit not found"), Change.GONE),
        (BadRequest("Message is not modified: specified new message content"), Change.DONE),
        (Forbidden("Forbidden: bot was blocked by the user"), Change.FAILED),
        (BadRequest("Chat not found"), Change.FAILED),
    ],
)
def test_refusals_count_in_the_report_by_what_they_mean(error: BadRequest, change: Change) -> None:
    assert change_of(error) is change


def test_the_recall_report_names_only_what_happened() -> None:
    report = ChangeReport(total=3)
    report.add(Change.DONE, 1)
    report.add(Change.TOO_OLD, 2)
    report.add(Change.GONE, 3)
    text = recall_report_text(9, report, "en")
    assert text.splitlines() == [
        "Post #9 recalled: deleted in 1 of 3 chats.",
        "Older than 48 hours, not deleted: 1",
        "Already removed by the reader: 1",
    ]
    assert report.done_ids == [1, 3]  # gone ones are no longer in their chat either


def test_an_excerpt_is_one_short_line() -> None:
    assert excerpt("a\nb  c") == "a b c"
    assert excerpt("x" * 100, 10) == "x" * 9 + "…"


def test_every_editor_message_is_translated_in_every_language() -> None:
    from babel.messages.pofile import read_po

    from bot.i18n import LANGUAGES, LOCALES

    catalogs = {}
    for language in LANGUAGES:
        with (LOCALES / language / "LC_MESSAGES" / "editors.po").open("rb") as handle:
            catalogs[language] = {
                _singular(m.id): _forms(m.string) for m in read_po(handle) if m.id
            }
    english = set(catalogs["en"])
    for language, messages in catalogs.items():
        assert set(messages) == english, language
        assert all(all(forms) for forms in messages.values()), f"{language}: empty translations"
        for msgid, forms in messages.items():  # the same {placeholders} survive translation
            for text in forms:
                assert sorted(re.findall(r"{\w+}", text)) == sorted(re.findall(r"{\w+}", msgid))


def _singular(msgid: str | tuple[str, ...]) -> str:
    """A message's key: its msgid, or the singular msgid of a message with plural forms."""
    return msgid if isinstance(msgid, str) else msgid[0]


def _forms(msgstr: str | tuple[str, ...]) -> tuple[str, ...]:
    """Every form of a translation: one, or one per plural form."""
    return (msgstr,) if isinstance(msgstr, str) else tuple(msgstr)
