"""The last line a command prints: a sentence a person reads, never a repr.

Pure: values in, one line out, so each wording has a named test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from config.logging import RedactTokens


class PolledFeed(Protocol):
    """What one feed's poll reports (``bot.feeds.refresh.RefreshResult``)."""

    @property
    def feed_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def posts(self) -> list[int]: ...
    @property
    def error(self) -> str | None: ...


class Drained(Protocol):
    """What one drain of the delivery queue did (``bot.delivery.worker.DrainReport``)."""

    @property
    def sent(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def remaining(self) -> int: ...


class Delivered(Protocol):
    """What a worker delivered since it started (``bot.delivery.ledger.WorkerStats``)."""

    @property
    def sent(self) -> int: ...
    @property
    def failed(self) -> int: ...


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 feed``, ``2 feeds``; ``nouns`` for a plural that is not just an added s."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def one_line(text: str) -> str:
    """Whitespace and line breaks folded, the bot token scrubbed: fit for one line of output."""
    return RedactTokens().scrub(re.sub(r"\s+", " ", text).strip())


def poll_sentence(
    results: Sequence[PolledFeed], urls: Mapping[int, str], report: Drained | None
) -> str:
    """``polled 3 feeds: 2 new articles, 1 feed failed (URL: reason); sent 4 messages``."""
    new = sum(len(result.posts) for result in results)
    failed = [result for result in results if result.status == "error"]
    sentence = f"polled {plural(len(results), 'feed')}: {plural(new, 'new article')}"
    if failed:
        reasons = "; ".join(
            f"{urls.get(r.feed_id, f'feed {r.feed_id}')}: {one_line(r.error or 'failed')}"
            for r in failed
        )
        sentence += f", {plural(len(failed), 'feed')} failed ({reasons})"
    if report is not None:
        sentence += f"; sent {plural(report.sent, 'message')}"
        if report.failed:
            sentence += f", {report.failed} could not be delivered"
        if report.remaining:
            sentence += f", {report.remaining} left queued for the next run"
    return sentence


def run_sentence(stats: Delivered) -> str:
    """``stopped: sent 120 messages, 2 could not be delivered; anything still queued ...``."""
    sentence = f"stopped: sent {plural(stats.sent, 'message')}"
    if stats.failed:
        sentence += f", {stats.failed} could not be delivered"
    return sentence + "; anything still queued goes out on the next start"


def failure_sentence(command: str, error: BaseException, *, expected: bool) -> str:
    """One line for a command that stopped on an error.

    ``expected`` errors (a feed that is not one, a refused fetch, Telegram or the
    database saying no) are told by their message alone; anything else also
    names its type and where the details are.
    """
    message = one_line(str(error)) or type(error).__name__
    if expected:
        return f"newsbot: {command}: {message}"
    return (
        f"newsbot: {command} failed: {type(error).__name__}: {message} "
        "(NEWSBOT_LOG_LEVEL=DEBUG shows the traceback)"
    )
