"""What an editor reads about breaking news: commands parsed, refusals, progress, the audit line.

Pure functions and one reply type: nothing here calls Telegram or the
database, so each rule has a plain unit test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from babel.numbers import format_decimal

from bot.i18n import normalize_language, translate, translate_plural
from bot.render.post import CAPTION_LIMIT, TEXT_LIMIT, RenderedPost, telegram_length
from storage import posts as breaking_posts
from storage.deliveries import DeliveryCounts
from storage.models import AuditEntry, Post

EXCERPT = 40  # characters of a post shown on a button or in a list


@dataclass(frozen=True)
class Answer:
    """The short reply to a button press or command: whether it worked, and what to say."""

    ok: bool
    msgid: str
    values: dict[str, object] = field(default_factory=dict)
    plural: str | None = None  # a counted message: its plural msgid; ``count`` picks the form
    count: int = 0

    def text(self, language: str) -> str:
        if self.plural is not None:
            return translate_plural(language, self.msgid, self.plural, self.count, **self.values)
        return translate(language, self.msgid, **self.values)


_COMMAND = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?(?=\s|$)")


def command_argument(text: str | None) -> str:
    """What follows a leading ``/command`` (or ``/command@bot``), as typed, lines kept."""
    if not text:
        return ""
    match = _COMMAND.match(text)
    rest = text[match.end() :] if match else text
    return rest.strip()


def draft_refusal(post: Post | None, now: datetime, ttl: timedelta | None) -> str | None:
    """Why a preview's button may not act (a msgid), or None; ``ttl`` None: never expires."""
    if post is None:
        return "This preview no longer exists."
    if post.state == breaking_posts.PUBLISHED or post.state == breaking_posts.RECALLED:
        return "This post has already been published."
    if post.state == breaking_posts.CANCELLED:
        return "This preview was cancelled."
    if ttl is not None and post.created_at < now - ttl:
        return "This preview has expired. Send /breaking again."
    return None


def format_number(value: int, language: str) -> str:
    """``40000`` as the language writes it (40,000 in English, 40 000 in Russian)."""
    return format_decimal(value, locale=normalize_language(language))


def progress_text(counts: DeliveryCounts, language: str) -> str:
    """The line under a preview while the post goes out."""
    if counts.pending == 0:
        return translate(
            language,
            "Done: delivered to {sent} of {total}. Blocked: {blocked}. Failed: {failed}.",
            sent=format_number(counts.sent, language),
            total=format_number(counts.total, language),
            blocked=format_number(counts.blocked, language),
            failed=format_number(counts.failed, language),
        )
    return translate(
        language,
        "Publishing: sent to {sent} of {total}…",
        sent=format_number(counts.sent, language),
        total=format_number(counts.total, language),
    )


def with_status(rendered: RenderedPost, status_html: str) -> str:
    """The post with a status line under it; the status alone when both would not fit."""
    limit = CAPTION_LIMIT if rendered.as_caption else TEXT_LIMIT
    status_length = telegram_length(re.sub(r"<[^>]+>", "", status_html))
    if rendered.length + 2 + status_length <= limit:
        return f"{rendered.html}\n\n{status_html}"
    return status_html


def excerpt(text: str | None, length: int = EXCERPT) -> str:
    """The start of a post's text on one line, for buttons and lists."""
    line = " ".join((text or "").split())
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def audit_line(entry: AuditEntry) -> str:
    """One audit entry on one line (the same in Telegram and on the command line)."""
    parts = [
        entry.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        entry.action,
        f"post #{entry.post_id}" if entry.post_id is not None else "post -",
        f"by {entry.user_id}" if entry.user_id is not None else "by -",
    ]
    if entry.chats is not None:
        parts.append(f"chats={entry.chats}")
    if entry.detail:
        parts.append(excerpt(entry.detail, 80))
    return "  ".join(parts)
