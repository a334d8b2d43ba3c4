"""What a recall or a correction did to each chat's copy of a post, and how the editor reads it.

Pure: a refused delete or edit is classified here and counted in a
``ChangeReport``; ``bot.newsroom.breaking.changes`` does the calls.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram.error import TelegramError

from bot.i18n import translate, translate_plural
from bot.newsroom.breaking.texts import format_number

DELETE_WINDOW = timedelta(hours=48)  # Telegram deletes a bot's message only this long


def deletable(sent_at: datetime | None, now: datetime) -> bool:
    """Telegram lets a bot delete its message only within 48 hours of sending it."""
    return sent_at is None or now - sent_at < DELETE_WINDOW


class Change(enum.StrEnum):
    """What happened to one chat's copy of a post on recall or correction."""

    DONE = "done"
    GONE = "gone"  # the message is no longer there (the reader deleted it)
    TOO_OLD = "too_old"  # Telegram refuses: past 48 hours (or no right to change it)
    FAILED = "failed"


def change_of(error: TelegramError) -> Change:
    """How a refused delete or edit counts in the report."""
    text = str(getattr(error, "message", "") or error).lower()
    if "not modified" in text:
        return Change.DONE  # the message already says exactly this
    if re.search(r"message( to \w+)? not found", text):
        return Change.GONE
    if "can't be deleted" in text or "can't be edited" in text:
        return Change.TOO_OLD
    return Change.FAILED


@dataclass
class ChangeReport:
    """What a recall or a correction did across the chats a post reached."""

    total: int = 0
    done: int = 0
    gone: int = 0
    too_old: int = 0
    failed: int = 0
    interrupted: int = 0  # left unchanged because the bot was stopping
    dropped: int = 0  # recall: deliveries not yet sent, now never sent
    done_ids: list[int] = field(default_factory=list)  # deliveries changed

    def add(self, change: Change, delivery_id: int) -> None:
        if change is Change.DONE:
            self.done += 1
            self.done_ids.append(delivery_id)
        elif change is Change.GONE:
            self.gone += 1
            self.done_ids.append(delivery_id)
        elif change is Change.TOO_OLD:
            self.too_old += 1
        else:
            self.failed += 1

    def summary(self) -> str:
        """For the audit log: the numbers, language-neutral."""
        return (
            f"total={self.total} done={self.done} gone={self.gone} too_old={self.too_old} "
            f"failed={self.failed} interrupted={self.interrupted} dropped={self.dropped}"
        )


def recall_report_text(post_id: int, report: ChangeReport, language: str) -> str:
    """What the editor reads when a recall is over."""
    lines = [
        translate_plural(
            language,
            "Post #{post} recalled: deleted in {done} of {total} chat.",
            "Post #{post} recalled: deleted in {done} of {total} chats.",
            report.total,
            post=post_id,
            done=format_number(report.done, language),
            total=format_number(report.total, language),
        )
    ]
    lines += _report_details(report, language, unchanged="Older than 48 hours, not deleted: {n}")
    if report.dropped:
        lines.append(
            translate(
                language,
                "Not yet sent, now never sent: {n}",
                n=format_number(report.dropped, language),
            )
        )
    return "\n".join(lines)


def correction_report_text(post_id: int, report: ChangeReport, language: str) -> str:
    """What the editor reads when a correction is over."""
    lines = [
        translate_plural(
            language,
            "Post #{post} corrected: edited in {done} of {total} chat.",
            "Post #{post} corrected: edited in {done} of {total} chats.",
            report.total,
            post=post_id,
            done=format_number(report.done, language),
            total=format_number(report.total, language),
        )
    ]
    lines += _report_details(report, language, unchanged="Could not be edited: {n}")
    return "\n".join(lines)


def _report_details(report: ChangeReport, language: str, *, unchanged: str) -> list[str]:
    details = [
        (report.too_old, unchanged),
        (report.gone, "Already removed by the reader: {n}"),
        (report.failed, "Failed: {n}"),
        (report.interrupted, "Not done, the bot was stopping: {n}. Try again."),
    ]
    return [translate(language, msgid, n=format_number(n, language)) for n, msgid in details if n]
