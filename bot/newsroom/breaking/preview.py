"""The author's preview message: show the exact post, cancel it, follow the broadcast on it.

A draft is saved and shown with Publish and Cancel; once it is published (or
cancelled) the same message loses its buttons and carries a status line under
the post, edited as the deliveries land.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.delivery.outcomes import classify
from bot.i18n import normalize_language, translate
from bot.newsroom.breaking.keyboards import (
    has_photo,
    link_preview,
    preview_keyboard,
    render,
    url_rows,
)
from bot.newsroom.breaking.texts import Answer, draft_refusal, progress_text, with_status
from bot.newsroom.services import Services
from bot.render.telegram_html import first_url
from storage import audit
from storage import posts as breaking_posts
from storage.chats import chat_by_telegram_id
from storage.db import utcnow
from storage.deliveries import DeliveryCounts, post_progress
from storage.models import Post

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between progress edits: well under Telegram's edit limits
# A broadcast still open this long after publication is followed again on start;
# older previews are past caring about (and past Telegram's 48-hour edit window for some).
RESUME_WITHIN = timedelta(hours=24)


async def preview(
    bot: Bot,
    services: Services,
    *,
    author_id: int,
    chat_id: int,
    text: str,
    language: str,
    photo_file_id: str | None = None,
) -> Post:
    """Save a draft and show its author the exact post, with Publish and Cancel."""
    now = utcnow()
    async with services.sessions() as session:
        post = await breaking_posts.create_draft(
            session,
            text=text,
            url=first_url(text),
            author_id=author_id,
            photo_file_id=photo_file_id,
            now=now,
        )
        await audit.record(
            session, audit.PREVIEWED, user_id=author_id, post_id=post.id, detail=text, at=now
        )
        await session.commit()
    rendered = render(post, language, as_caption=has_photo(post))
    keyboard = preview_keyboard(post.id, rendered, language)
    if photo_file_id:
        message = await bot.send_photo(
            chat_id, photo_file_id, caption=rendered.html, reply_markup=keyboard
        )
    else:
        message = await bot.send_message(
            chat_id,
            rendered.html,
            reply_markup=keyboard,
            link_preview_options=link_preview(rendered),
        )
    async with services.sessions() as session:
        await breaking_posts.set_preview_message(session, post.id, chat_id, message.message_id)
        await session.commit()
    post.preview_chat_id, post.preview_message_id = chat_id, message.message_id
    log.info("breaking preview post_id=%s author=%s", post.id, author_id)
    return post


async def cancel(bot: Bot, services: Services, post_id: int, user_id: int, language: str) -> Answer:
    """Drop a draft (expired ones too); its preview says so and loses its buttons."""
    now = utcnow()
    async with services.sessions() as session:
        post = await breaking_posts.breaking_post(session, post_id)
        refusal = draft_refusal(post, now, None)
        if refusal is not None or post is None:
            return Answer(False, refusal or "This preview no longer exists.")
        if not await breaking_posts.settle_draft(
            session, post_id, breaking_posts.CANCELLED, created_after=datetime.min, now=now
        ):
            await session.rollback()
            return Answer(False, "This post has already been published.")
        await audit.record(session, audit.CANCELLED, user_id=user_id, post_id=post_id, at=now)
        await session.commit()
    status = f"<i>{translate(language, 'Cancelled: nothing was sent.')}</i>"
    await show_status(bot, post, language, status)
    return Answer(True, "Cancelled: nothing was sent.")


async def show_status(bot: Bot, post: Post, language: str, status_html: str) -> None:
    """Edit the author's preview to the post with ``status_html`` under it, without its buttons."""
    if post.preview_chat_id is None or post.preview_message_id is None:
        return
    rendered = render(post, language, as_caption=has_photo(post))
    markup = InlineKeyboardMarkup(url_rows(rendered)) if rendered.buttons else None
    html = with_status(rendered, status_html)
    chat_id, message_id = post.preview_chat_id, post.preview_message_id
    for _attempt in range(3):
        try:
            if rendered.as_caption:
                await bot.edit_message_caption(
                    chat_id=chat_id, message_id=message_id, caption=html, reply_markup=markup
                )
            else:
                await bot.edit_message_text(
                    html,
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=markup,
                    link_preview_options=link_preview(rendered),
                )
            return
        except RetryAfter as exc:
            outcome = classify(exc)
            await asyncio.sleep(outcome.retry_after or 1.0)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.warning("preview edit refused post_id=%s error=%r", post.id, str(exc))
            return
        except TelegramError as exc:
            log.warning("preview edit failed post_id=%s error=%r", post.id, str(exc))
            return


async def follow_progress(
    bot: Bot,
    services: Services,
    post_id: int,
    language: str,
    *,
    keep_going: Callable[[], bool],
    every: float = PROGRESS_EVERY,
) -> DeliveryCounts:
    """Edit the preview with how far the post has gone, until every delivery is settled.

    Returns the last counts; stops early (without the totals) when ``keep_going``
    says the bot is stopping, since deliveries then wait for the next start.
    """
    async with services.sessions() as session:
        post = await breaking_posts.breaking_post(session, post_id)
    if post is None:
        return DeliveryCounts()
    shown = ""
    while True:
        async with services.sessions() as session:
            counts = await post_progress(session, post_id)
        if counts.pending == 0:
            await _note_totals(services, post_id, counts)
        status = f"<i>{progress_text(counts, language)}</i>"
        if status != shown:
            await show_status(bot, post, language, status)
            shown = status
        if counts.pending == 0 or not keep_going():
            return counts
        await asyncio.sleep(every)


async def _note_totals(services: Services, post_id: int, counts: DeliveryCounts) -> None:
    """The audit log's publication entry gets the broadcast's outcome."""
    detail = (
        f"delivered={counts.sent} blocked={counts.blocked} failed={counts.failed} "
        f"total={counts.total}"
    )
    async with services.sessions() as session:
        await audit.annotate(session, post_id, audit.PUBLISHED, detail)
        await session.commit()


async def resumed_progress(
    bot: Bot, services: Services, *, keep_going: Callable[[], bool]
) -> list[Coroutine[Any, Any, DeliveryCounts]]:
    """On start: follow again the broadcasts a stop left open, each on its author's preview."""
    async with services.sessions() as session:
        found = await breaking_posts.broadcasts_in_flight(
            session, published_after=utcnow() - RESUME_WITHIN
        )
        followers = []
        for post in found:
            author = await chat_by_telegram_id(session, post.author_id) if post.author_id else None
            language = normalize_language(author.language if author is not None else None)
            log.info("breaking progress resumed post_id=%s", post.id)
            followers.append(
                follow_progress(bot, services, post.id, language, keep_going=keep_going)
            )
    return followers
