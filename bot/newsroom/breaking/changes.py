"""Recall and correction: one delete or edit in every chat that holds a post, paced.

Recall and correction are many Bot API calls (one per chat): they take slots in
the delivery worker's pace, so together with deliveries they stay within
Telegram's flood limits, and a 429 pauses every sender. Each chat's outcome is
counted in a ``ChangeReport`` (``bot.newsroom.breaking.reports``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.delivery.limiter import RateLimiter, allowed_rate
from bot.delivery.outcomes import Action as SendAction
from bot.delivery.outcomes import classify
from bot.i18n import normalize_language
from bot.newsroom.breaking.keyboards import link_preview, render, url_rows
from bot.newsroom.breaking.preview import PROGRESS_EVERY
from bot.newsroom.breaking.reports import Change, ChangeReport, change_of, deletable
from bot.newsroom.services import Services
from bot.render.post import RenderedPost
from bot.render.telegram_html import first_url
from storage import audit
from storage import posts as breaking_posts
from storage.db import utcnow
from storage.deliveries import post_progress, sent_messages
from storage.models import Chat, Delivery

log = logging.getLogger(__name__)

CHANGE_WORKERS = 16  # recall/correction requests in flight at once (the pace is the limiter's)
CHANGE_TRIES = 5  # attempts per chat for a transient failure
IN_FLIGHT_WAIT = 60.0  # seconds a recall waits for sends already under way to land


# --------------------------------------------------------------------------- recall


async def recall(
    bot: Bot,
    services: Services,
    post_id: int,
    user_id: int,
    *,
    dropped: int = 0,
    keep_going: Callable[[], bool] = lambda: True,
) -> ChangeReport:
    """Delete a recalled post from every chat it reached; report what could not be deleted."""
    stuck = await _wait_for_in_flight(services, post_id)
    async with services.sessions() as session:
        held = await sent_messages(session, post_id)
    now = utcnow()
    # Stuck sends may or may not have reached their chat: counted as failures.
    report = ChangeReport(total=len(held) + stuck, failed=stuck, dropped=dropped)
    reachable = []
    for chat, delivery in held:
        if deletable(delivery.sent_at, now):
            reachable.append((chat, delivery))
        else:
            report.too_old += 1  # not even asked: Telegram would refuse

    def delete(chat: Chat, delivery: Delivery) -> Callable[[], Awaitable[object]]:
        assert delivery.message_id is not None
        return lambda: bot.delete_message(_target(chat), int(delivery.message_id or 0))

    await _change_all(services, reachable, delete, report, keep_going)
    async with services.sessions() as session:
        await breaking_posts.mark_deleted(session, report.done_ids)
        await audit.record(
            session,
            audit.RECALLED,
            user_id=user_id,
            post_id=post_id,
            chats=report.done,
            detail=report.summary(),
        )
        await session.commit()
    log.info("breaking recalled post_id=%s by=%s %s", post_id, user_id, report.summary())
    return report


async def _wait_for_in_flight(services: Services, post_id: int) -> int:
    """Sends under way when the recall began land first, so their messages are deleted too.

    Returns how many never landed (their worker died): those are dropped.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + IN_FLIGHT_WAIT
    while loop.time() < deadline:
        async with services.sessions() as session:
            if await breaking_posts.in_flight(session, post_id) == 0:
                return 0
        await asyncio.sleep(0.2)
    async with services.sessions() as session:
        stuck = await breaking_posts.stop_pending(
            session, post_id, "recalled while in flight", in_flight=True
        )
        await session.commit()
    log.warning("recall dropped sends stuck in flight post_id=%s count=%s", post_id, stuck)
    return stuck


# --------------------------------------------------------------------------- correction


async def correct(
    bot: Bot,
    services: Services,
    post_id: int,
    text: str,
    user_id: int,
    *,
    keep_going: Callable[[], bool] = lambda: True,
) -> ChangeReport:
    """Replace a published post's text in every chat, rendered for each as a new post would be.

    A post still going out is followed to the end: the chats it reaches after
    the first pass are corrected as they are reached (a worker may still hold
    the old text in memory).
    """
    async with services.sessions() as session:
        await breaking_posts.set_text(session, post_id, text, first_url(text))
        await session.commit()
        post = await breaking_posts.breaking_post(session, post_id)
    assert post is not None
    report = ChangeReport()
    cache: dict[tuple[str, bool], RenderedPost] = {}

    def rendered_for(chat: Chat, as_caption: bool) -> RenderedPost:
        key = (chat_language(chat, services), as_caption)
        if key not in cache:
            cache[key] = render(post, key[0], as_caption=as_caption)
        return cache[key]

    def edit(chat: Chat, delivery: Delivery) -> Callable[[], Awaitable[object]]:
        as_caption = bool(delivery.with_photo)
        rendered = rendered_for(chat, as_caption)
        markup = InlineKeyboardMarkup(url_rows(rendered)) if rendered.buttons else None
        target, message_id = _target(chat), int(delivery.message_id or 0)
        if as_caption:
            return lambda: bot.edit_message_caption(
                chat_id=target, message_id=message_id, caption=rendered.html, reply_markup=markup
            )
        return lambda: bot.edit_message_text(
            rendered.html,
            chat_id=target,
            message_id=message_id,
            reply_markup=markup,
            link_preview_options=link_preview(rendered),
        )

    await _follow_broadcast(services, post_id, edit, report, keep_going)
    async with services.sessions() as session:
        await audit.record(
            session,
            audit.CORRECTED,
            user_id=user_id,
            post_id=post_id,
            chats=report.done,
            detail=f"{report.summary()} text={text}",
        )
        await session.commit()
    log.info("breaking corrected post_id=%s by=%s %s", post_id, user_id, report.summary())
    return report


async def _follow_broadcast(
    services: Services,
    post_id: int,
    call_for: ChangeCall,
    report: ChangeReport,
    keep_going: Callable[[], bool],
) -> None:
    """Change every chat that holds the post, until no delivery of it is left to send."""
    changed: set[int] = set()
    while True:
        async with services.sessions() as session:
            counts = await post_progress(session, post_id)
            held = [(c, d) for c, d in await sent_messages(session, post_id) if d.id not in changed]
        report.total += len(held)
        await _change_all(services, held, call_for, report, keep_going)
        changed.update(delivery.id for _chat, delivery in held)
        if counts.pending == 0 or not keep_going():
            return
        await asyncio.sleep(PROGRESS_EVERY)


def chat_language(chat: Chat, services: Services) -> str:
    """Readers read their own language; channels and groups the newsroom's."""
    if chat.kind == "private":
        return normalize_language(chat.language)
    return services.settings.post.language


def _target(chat: Chat) -> int | str:
    if chat.telegram_id is not None:
        return chat.telegram_id
    return f"@{chat.username}"


# --------------------------------------------------------------------------- paced changes

ChangeCall = Callable[[Chat, Delivery], Callable[[], Awaitable[object]]]


def limiter_of(services: Services) -> RateLimiter:
    """The delivery worker's limiter (shared pace and 429 pause), or one of our own."""
    limiter = getattr(services.delivery, "limiter", None)
    if isinstance(limiter, RateLimiter):
        return limiter
    delivery = services.settings.delivery
    return RateLimiter(allowed_rate(delivery.rate, paid_broadcast=delivery.paid_broadcast))


async def _change_all(
    services: Services,
    held: Sequence[tuple[Chat, Delivery]],
    call_for: ChangeCall,
    report: ChangeReport,
    keep_going: Callable[[], bool],
) -> None:
    """Run one request per chat, a few at a time, each in its slot of the shared pace."""
    limiter = limiter_of(services)
    queue: Iterable[tuple[Chat, Delivery]] = iter(held)

    async def work() -> None:
        for chat, delivery in queue:
            if not keep_going():
                report.interrupted += 1
                continue
            report.add(await _attempt(call_for(chat, delivery), limiter), delivery.id)

    await asyncio.gather(*(work() for _ in range(min(CHANGE_WORKERS, max(1, len(held))))))


async def _attempt(call: Callable[[], Awaitable[object]], limiter: RateLimiter) -> Change:
    """One delete or edit, retried through 429s and transient failures."""
    for attempt in range(CHANGE_TRIES):
        await limiter.acquire()
        try:
            await call()
            return Change.DONE
        except TelegramError as exc:
            outcome = classify(exc)
            if outcome.action is SendAction.WAIT_AND_RETRY:
                limiter.pause(outcome.retry_after or 1.0)
                continue
            if outcome.action is SendAction.RETRY:
                await asyncio.sleep(min(0.5 * 2**attempt, 10.0))
                continue
            return change_of(exc)
    return Change.FAILED
