"""What `newsbot check` concludes from what it saw: pure verdicts, one line each.

``bot.cli.check`` asks Telegram, the database and the feeds; the rules that
turn their answers into "ok" or "FAIL" live here, one named test per rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

OK = "ok"
FAIL = "FAIL"
SKIP = "skip"  # not checked, because something it needs failed first


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and why."""

    subject: str  # "token", "channel @news", "database", "feed https://..."
    status: str  # OK | FAIL | SKIP
    detail: str


def check_line(check: Check) -> str:
    """``ok    channel @news: administrator, may post``."""
    return f"{check.status:<5} {check.subject}: {check.detail}"


def verdict_sentence(checks: Sequence[Check]) -> str:
    """The last line: all passed, or how many did not and which."""
    failed = [c.subject for c in checks if c.status != OK]
    if not failed:
        return "the one check passed" if len(checks) == 1 else f"all {len(checks)} checks passed"
    return f"{len(failed)} of {len(checks)} checks did not pass: {', '.join(failed)}"


def posting_verdict(
    chat_type: str, status: str, *, can_post_messages: bool | None, can_send_messages: bool | None
) -> tuple[bool, str]:
    """May the bot post in this chat, as ``getChat`` and ``getChatMember`` describe it?"""
    if chat_type == "channel":
        return _channel_verdict(status, can_post_messages)
    if chat_type in ("group", "supergroup"):
        return _group_verdict(status, can_send_messages)
    return False, f"a {chat_type} chat, not a channel or a group"


def _channel_verdict(status: str, can_post_messages: bool | None) -> tuple[bool, str]:
    """In a channel only its owner or an administrator with the posting right may post."""
    if status == "creator":
        return True, "the bot owns this channel"
    if status == "administrator":
        if can_post_messages:
            return True, "administrator, may post"
        return False, "administrator without the right to post messages: grant it"
    return False, f"the bot is {_status_words(status)}, not an administrator: make it one"


def _group_verdict(status: str, can_send_messages: bool | None) -> tuple[bool, str]:
    """In a group any member may post, unless restricted from sending."""
    if status in ("creator", "administrator", "member"):
        return True, f"{status}, may post"
    if status == "restricted" and can_send_messages:
        return True, "restricted member, may still send messages"
    return False, f"the bot is {_status_words(status)}: add it as a member"


def _status_words(status: str) -> str:
    return {
        "left": "not in this chat",
        "kicked": "banned from this chat",
        "restricted": "restricted from sending messages",
        "member": "only a member",
    }.get(status, status)


def migration_verdict(current: str | None, head: str | None) -> tuple[bool, str]:
    """A database is ready when it is at the newest migration."""
    if current is None:
        return False, "not migrated: run `newsbot db upgrade`"
    if current != head:
        return False, f"at revision {current}, the newest is {head}: run `newsbot db upgrade`"
    return True, f"migrated (revision {current})"
