"""Breaking news by editors: preview, publish once, progress, cancel, recall and correction.

The handlers (``bot.handlers.editors``) check who is asking and parse what
they typed; this module does the work and keeps the ledger. Every step that
changes a post is a single conditional UPDATE in ``storage.posts`` (a draft is
published at most once, a post recalled at most once), and every step leaves
an entry in the audit log.

A post is rendered by ``bot.render.post.render_post`` from the same content
the delivery worker builds (``bot.delivery.content.post_content``), so the
preview is the post readers get, and a correction is what a new post would be.
Recall and correction are many Bot API calls (one per chat): they take slots in
the delivery worker's pace, so together with deliveries they stay within
Telegram's flood limits, and a 429 pauses every sender.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from babel.numbers import format_decimal
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.delivery.content import post_content
from bot.delivery.limiter import RateLimiter, allowed_rate
from bot.delivery.outcomes import Action as SendAction
from bot.delivery.outcomes import classify
from bot.i18n import normalize_language, translate
from bot.newsroom.services import Services
from bot.render.post import CAPTION_LIMIT, TEXT_LIMIT, RenderedPost, render_post, telegram_length
from bot.render.telegram_html import first_url
from storage import audit
from storage import posts as breaking_posts
from storage.db import utcnow
from storage.deliveries import DeliveryCounts, enqueue_post, post_progress, sent_messages
from storage.models import AuditEntry, Chat, Delivery, Post

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between progress edits: well under Telegram's edit limits
DELETE_WINDOW = timedelta(hours=48)  # Telegram deletes a bot's message only this long
CHANGE_WORKERS = 16  # recall/correction requests in flight at once (the pace is the limiter's)
CHANGE_TRIES = 5  # attempts per chat for a transient failure
IN_FLIGHT_WAIT = 60.0  # seconds a recall waits for sends already under way to land
CALLBACK_PREFIX = "brk"
EXCERPT = 40  # characters of a post shown on a button or in a list


class Step(enum.StrEnum):
    """What an inline button under an editor's message asks for (in its callback data)."""

    PUBLISH = "pub"
    CANCEL = "can"
    RECALL = "rcl"  # confirm the recall of this post
    PICK = "pick"  # show the recall confirmation for this (older) post
    KEEP = "keep"  # do not recall after all


# --------------------------------------------------------------------------- pure parts


def callback_data(step: Step, post_id: int) -> str:
    return f"{CALLBACK_PREFIX}:{step.value}:{post_id}"


def parse_callback(data: str | None) -> tuple[Step, int] | None:
    """The step and post id a button carries; None for anything malformed (data is untrusted)."""
    match = re.fullmatch(rf"{CALLBACK_PREFIX}:([a-z]+):(\d{{1,18}})", data or "")
    if match is None:
        return None
    try:
        return Step(match.group(1)), int(match.group(2))
    except ValueError:
        return None


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
        translate(
            language,
            "Post #{post} recalled: deleted in {done} of {total} chats.",
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
        translate(
            language,
            "Post #{post} corrected: edited in {done} of {total} chats.",
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


# --------------------------------------------------------------------------- rendering


def render(post: Post, language: str, *, as_caption: bool) -> RenderedPost:
    """The post exactly as the delivery worker renders it for a chat in ``language``."""
    return render_post(post_content(post, None, None), language, as_caption=as_caption)


def has_photo(post: Post) -> bool:
    return bool(post.photo_file_id or post.image_url)


def url_rows(rendered: RenderedPost) -> list[list[InlineKeyboardButton]]:
    """The post's own URL buttons, one per row, as readers see them."""
    return [[InlineKeyboardButton(label, url=url)] for label, url in rendered.buttons]


def preview_keyboard(post_id: int, rendered: RenderedPost, language: str) -> InlineKeyboardMarkup:
    """Publish and Cancel first (the interface's promise), then the post's own buttons."""
    first = [
        InlineKeyboardButton(
            translate(language, "✅ Publish"), callback_data=callback_data(Step.PUBLISH, post_id)
        ),
        InlineKeyboardButton(
            translate(language, "✖ Cancel"), callback_data=callback_data(Step.CANCEL, post_id)
        ),
    ]
    return InlineKeyboardMarkup([first, *url_rows(rendered)])


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class Answer:
    """The short reply to a button press or command: whether it worked, and what to say."""

    ok: bool
    msgid: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, language: str) -> str:
        return translate(language, self.msgid, **self.values)


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
            link_preview_options=_link_preview(rendered),
        )
    async with services.sessions() as session:
        await breaking_posts.set_preview_message(session, post.id, chat_id, message.message_id)
        await session.commit()
    post.preview_chat_id, post.preview_message_id = chat_id, message.message_id
    log.info("breaking preview post_id=%s author=%s", post.id, author_id)
    return post


def _link_preview(rendered: RenderedPost) -> LinkPreviewOptions | None:
    link = rendered.link_url
    return LinkPreviewOptions(url=link, prefer_large_media=False) if link else None


# --------------------------------------------------------------------------- publish and cancel


async def publish(services: Services, post_id: int, user_id: int) -> Answer:
    """Publish a draft once: queue it to every channel and reader, record who did it."""
    now = utcnow()
    ttl = timedelta(seconds=services.settings.breaking.preview_ttl)
    async with services.sessions() as session:
        post = await breaking_posts.breaking_post(session, post_id)
        refusal = draft_refusal(post, now, ttl)
        if refusal is not None or post is None:
            return Answer(False, refusal or "This preview no longer exists.")
        settled = await breaking_posts.settle_draft(
            session, post_id, breaking_posts.PUBLISHED, created_after=now - ttl, now=now
        )
        if not settled:  # another press got there first
            await session.rollback()
            return Answer(False, "This post has already been published.")
        await session.refresh(post)
        chats = await enqueue_post(session, post)  # commits the publication with its queue
        await audit.record(
            session, audit.PUBLISHED, user_id=user_id, post_id=post_id, chats=chats, at=now
        )
        await session.commit()
    services.wake_delivery()
    log.info("breaking published post_id=%s by=%s chats=%s", post_id, user_id, chats)
    return Answer(True, "Publishing to {chats} chats.", {"chats": chats})


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
                    link_preview_options=_link_preview(rendered),
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


# --------------------------------------------------------------------------- recall


@dataclass(frozen=True)
class Candidate:
    """A published breaking post an editor may recall."""

    post_id: int
    text: str
    published_at: datetime | None
    chats: int


async def recall_candidates(services: Services, limit: int = 10) -> list[Candidate]:
    """The newest published breaking posts, newest first, with how many chats hold each."""
    async with services.sessions() as session:
        found = await breaking_posts.recent_published(session, limit)
        result = []
        for post in found:
            counts = await post_progress(session, post.id)
            result.append(Candidate(post.id, post.text or "", post.published_at, counts.sent))
    return result


async def start_recall(services: Services, post_id: int) -> tuple[Answer, int]:
    """Mark the post recalled (once) and stop what has not been sent yet (how many: returned)."""
    async with services.sessions() as session:
        if not await breaking_posts.mark_recalled(session, post_id):
            await session.rollback()
            return Answer(False, "This post has already been recalled."), 0
        dropped = await breaking_posts.stop_pending(session, post_id, "recalled before sending")
        await session.commit()
    return Answer(True, "Recalling…"), dropped


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


async def latest_post(services: Services) -> Post | None:
    """The breaking post a /correct is about: the most recent published one."""
    async with services.sessions() as session:
        return await breaking_posts.latest_breaking(session)


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
            link_preview_options=_link_preview(rendered),
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
