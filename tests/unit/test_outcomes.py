"""The outcome table: one named test per rule (bot.delivery.outcomes)."""

from __future__ import annotations

import os
import random
from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.delivery.outcomes import Action, Backoff, classify

# PTB 22 warns when a RetryAfter is built unless timedeltas are opted into.
os.environ.setdefault("PTB_TIMEDELTA", "1")


def test_retry_after_pauses_every_sender_for_its_seconds() -> None:
    outcome = classify(RetryAfter(timedelta(seconds=7)))
    assert outcome.action is Action.WAIT_AND_RETRY and outcome.retry_after == 7


def test_server_error_is_retried() -> None:
    # PTB raises a bare NetworkError for 5xx answers.
    assert classify(NetworkError("Bad Gateway")).action is Action.RETRY


def test_timeout_is_retried() -> None:
    assert classify(TimedOut()).action is Action.RETRY


def test_connection_failure_is_retried() -> None:
    assert classify(NetworkError("aiohttp.ClientConnectorError: refused")).action is Action.RETRY


@pytest.mark.parametrize(
    "description",
    [
        "Forbidden: bot was blocked by the user",
        "Forbidden: user is deactivated",
        "Forbidden: bot was kicked from the channel chat",
        "Forbidden: bot was kicked from the supergroup chat",
        "Forbidden: bot can't initiate conversation with a user",
        "Forbidden: bot is not a member of the channel chat",
        "Forbidden: the group chat was deleted",
    ],
)
def test_blocked_deactivated_kicked_or_not_a_member_means_the_chat_is_gone(
    description: str,
) -> None:
    assert classify(Forbidden(description)).action is Action.CHAT_GONE


def test_other_forbidden_is_a_permanent_failure() -> None:
    outcome = classify(Forbidden("Forbidden: not enough rights to send photos to the chat"))
    assert outcome.action is Action.FAILED and "not enough rights" in outcome.detail


def test_migrated_group_moves_to_the_new_id() -> None:
    outcome = classify(ChatMigrated(-1001234))
    assert outcome.action is Action.MIGRATED and outcome.new_chat_id == -1001234


def test_chat_not_found_is_a_permanent_failure_with_its_description() -> None:
    outcome = classify(BadRequest("Bad Request: chat not found"))
    assert outcome.action is Action.FAILED and outcome.detail == "Chat not found"


def test_other_bad_request_is_a_permanent_failure() -> None:
    outcome = classify(BadRequest("Can't parse entities: unsupported start tag"))
    assert outcome.action is Action.FAILED


@pytest.mark.parametrize(
    "description",
    [
        "Bad Request: wrong type of the web page content",
        "Bad Request: failed to get HTTP URL content",
        "Bad Request: wrong file identifier/HTTP URL specified",
        "Bad Request: PHOTO_INVALID_DIMENSIONS",
        "Bad Request: IMAGE_PROCESS_FAILED",
        "Bad Request: file is too big",
    ],
)
def test_a_refused_photo_is_told_apart_from_a_refused_post(description: str) -> None:
    assert classify(BadRequest(description)).action is Action.PHOTO_REFUSED


def test_a_rejected_token_halts_everything_without_spending_attempts() -> None:
    outcome = classify(InvalidToken())
    assert outcome.action is Action.HALT and outcome.retry_after


def test_an_unexpected_exception_is_retried_not_lost() -> None:
    assert classify(RuntimeError("boom")).action is Action.RETRY


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    backoff = Backoff(base=1, max_delay=10, factor=2, jitter=0)
    assert [backoff.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_backoff_jitter_stays_within_its_spread() -> None:
    backoff = Backoff(base=4, max_delay=100, jitter=0.25)
    rng = random.Random(7)
    delays = {backoff.delay(1, rng) for _ in range(200)}
    assert min(delays) >= 3 and max(delays) <= 5 and len(delays) > 100


@pytest.mark.parametrize(
    "kwargs",
    [{"base": 0}, {"base": 5, "max_delay": 1}, {"factor": 0.5}, {"jitter": 1.0}],
)
def test_backoff_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)


def test_backoff_survives_huge_attempt_counts() -> None:
    assert Backoff(base=1, max_delay=60, jitter=0).delay(10_000) == 60
