"""Posts follow the article: an entry already posted that changed at the source.

The content hash (``bot.feeds.refresh.content_hash``) is the cheap trigger;
what the post would say now (title, summary, link, photo) is the judge, so a
change that leaves the post as it was edits nothing. A changed article gets a
new revision and one queued edit per copy of its post (``storage.edits``); the
delivery worker makes them. Past Telegram's 48 hours nothing is queued, and
that is logged. An entry that left the feed is simply not looked at.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.articles.enrich import Enriched
from bot.feeds.parser.model import Entry
from storage import audit
from storage.edits import Followed, enqueue_edits
from storage.models import Article, Post

log = logging.getLogger(__name__)

EDIT_WINDOW = timedelta(hours=48)  # Telegram's window for changing a sent message (our rule)


@dataclass(frozen=True)
class Change:
    """A known entry whose content hash moved, with what we knew of it."""

    entry: Entry
    digest: str
    followed: Followed


def changed_entries(
    entries: Sequence[Entry], followed: dict[str, Followed], digest_of: dict[str, str]
) -> list[Change]:
    """Known entries whose content hash differs from the one stored, each key once."""
    changes: dict[str, Change] = {}
    for entry in entries:
        known = followed.get(entry.key)
        digest = digest_of[entry.key]
        if known is not None and known.content_hash != digest and entry.key not in changes:
            changes[entry.key] = Change(entry, digest, known)
    return list(changes.values())


def editable(published_at: datetime | None, now: datetime) -> bool:
    """A post can follow its article only within 48 hours of its publication."""
    return published_at is not None and now - published_at < EDIT_WINDOW


def photo_changed(article: Article, ready: Enriched) -> bool:
    return (ready.image_url or None) != (article.image_url or None)


def text_changed(article: Article, entry: Entry, ready: Enriched) -> bool:
    return (ready.title, ready.summary, entry.url) != (article.title, article.summary, article.url)


async def record_change(
    session: AsyncSession, change: Change, ready: Enriched | None, now: datetime
) -> int:
    """Store a change in the refresh's transaction; return how many copies will be edited."""
    article = await session.get(Article, change.followed.article_id)
    if article is None or article.content_hash == change.digest:
        return 0  # another poll got there first
    article.content_hash = change.digest
    post_id = change.followed.post_id
    if ready is None or post_id is None:
        return 0  # never posted, or too old to follow (logged by the caller)
    new_photo = photo_changed(article, ready)
    if not new_photo and not text_changed(article, change.entry, ready):
        return 0
    old_title = article.title
    article.title, article.summary, article.url = ready.title, ready.summary, change.entry.url
    article.image_url, article.image_credit = ready.image_url, ready.credit
    article.revision += 1
    await _follow_post(session, post_id, article, new_photo)
    copies = await enqueue_edits(session, post_id, article.revision, new_photo=new_photo, now=now)
    await audit.record(
        session,
        audit.UPDATED,
        user_id=None,
        post_id=post_id,
        chats=copies,
        detail=f"revision={article.revision} photo={'new' if new_photo else 'same'} "
        f"title={old_title!r} -> {article.title!r}",
        at=now,
    )
    log.info(
        "article changed at the source post_id=%s revision=%s copies=%s new_photo=%s",
        post_id,
        article.revision,
        copies,
        new_photo,
    )
    return copies


async def _follow_post(
    session: AsyncSession, post_id: int, article: Article, new_photo: bool
) -> None:
    post = await session.get(Post, post_id)
    if post is None:
        return
    post.url = article.url
    if new_photo:
        # The photo Telegram holds is the old one: copies not sent yet take the new one.
        post.image_url, post.photo_file_id, post.photo_failed = article.image_url, None, False
