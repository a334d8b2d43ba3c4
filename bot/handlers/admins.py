"""Handlers for admins: stats with a chart, exports, and the controls for feeds, channels,
editors and OPML. Thin: check the role, parse the input, call ``bot.newsroom.management``, reply."""

from __future__ import annotations

import asyncio
import html
import io
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import wraps
from typing import Any

from telegram import InputFile, Message, Update
from telegram.constants import MessageLimit
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.feeds.opml import OpmlError
from bot.i18n import normalize_language, translate
from bot.newsroom import management
from bot.newsroom.chart import CHART_LABELS, render_chart
from bot.newsroom.roles import Role, role_of
from bot.newsroom.services import Services, services_of
from bot.newsroom.stats.collect import collect_history, collect_post_reach, collect_stats
from bot.newsroom.stats.exports import deliveries_csv, readers_csv
from bot.newsroom.stats.message import format_stats
from storage.chats import chat_by_telegram_id

log = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (  # (command, description msgid) shown by /help
    ("stats", "readers, feeds and deliveries, with a chart"),
    ("feeds", "the feeds and their health"),
    ("addfeed", "add a feed: /addfeed URL [topic]"),
    ("removefeed", "remove a feed: /removefeed ID"),
    ("channels", "the channels posts go to"),
    ("addchannel", "post to a channel: /addchannel @channel"),
    ("removechannel", "stop posting to a channel: /removechannel @channel"),
    ("editors", "who may send breaking news"),
    ("addeditor", "make someone an editor: /addeditor USER_ID"),
    ("removeeditor", "remove an editor: /removeeditor USER_ID"),
    ("export", "CSV files: readers per day, deliveries per post"),
    ("exportfeeds", "the feeds as an OPML file (send one back to import feeds)"),
)

MAX_OPML_BYTES = 1024 * 1024
OPML_FILTER = (
    filters.Document.FileExtension("opml")
    | filters.Document.MimeType("text/x-opml")
    | filters.Document.MimeType("text/x-opml+xml")
)

Context = ContextTypes.DEFAULT_TYPE
AdminHandler = Callable[[Update, Context, Services, str], Awaitable[None]]


Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def admin_only(handler: AdminHandler) -> Callback:
    """Run ``handler`` for admins only; anyone else gets a short refusal and nothing happens."""

    @wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        services = services_of(context.bot_data)
        language = await _language(services, user.id, user.language_code)
        if await role_of(services.settings, services.sessions, user.id) < Role.ADMIN:
            await message.reply_text(translate(language, "Sorry, only admins can do that."))
            return
        await handler(update, context, services, language)

    return guarded


async def _language(services: Services, user_id: int, code: str | None) -> str:
    """The language the admin chose as a reader, else Telegram's."""
    async with services.sessions() as session:
        chat = await chat_by_telegram_id(session, user_id)
    return chat.language if chat is not None else normalize_language(code)


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


async def _reply_outcome(update: Update, outcome: management.Outcome, language: str) -> None:
    values = {key: html.escape(str(value), quote=False) for key, value in outcome.values.items()}
    await _message(update).reply_text(translate(language, outcome.msgid, **values))


async def _reply_long(update: Update, lines: Sequence[str]) -> None:
    """Lines in as few messages as Telegram's length limit allows."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) + 1 > MessageLimit.MAX_TEXT_LENGTH - 96:
            await _message(update).reply_text("\n".join(chunk))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        await _message(update).reply_text("\n".join(chunk))


def _usage(language: str, usage: str) -> str:
    return translate(language, "Usage: {usage}", usage=html.escape(usage, quote=False))


# ---------------------------------------------------------------- stats and exports


@admin_only
async def stats(update: Update, context: Context, services: Services, language: str) -> None:
    """/stats: the figures, then the readers chart as a photo."""
    figures = await collect_stats(services.sessions)
    await _reply_long(update, format_stats(figures, language).split("\n"))
    labels = {key: translate(language, text) for key, text in CHART_LABELS.items()}
    png = await asyncio.to_thread(render_chart, figures.days, labels)
    await _message(update).reply_photo(
        InputFile(io.BytesIO(png), filename="readers.png"),
        caption=translate(language, "Readers, last 30 days"),
    )


@admin_only
async def export(update: Update, context: Context, services: Services, language: str) -> None:
    """/export: two CSV files, readers per day and deliveries per post."""
    history = await collect_history(services.sessions)
    posts = await collect_post_reach(services.sessions)
    await _message(update).reply_document(
        InputFile(io.BytesIO(readers_csv(history)), filename="readers-per-day.csv"),
        caption=translate(language, "Readers per day"),
    )
    await _message(update).reply_document(
        InputFile(io.BytesIO(deliveries_csv(posts)), filename="deliveries-per-post.csv"),
        caption=translate(language, "Deliveries per post"),
    )


# ---------------------------------------------------------------- feeds


@admin_only
async def feeds(update: Update, context: Context, services: Services, language: str) -> None:
    """/feeds: every feed with its id, topic and health."""
    listed = await management.list_feeds(services)
    if not listed:
        await _message(update).reply_text(
            translate(language, "No feeds yet. Add one: /addfeed URL")
        )
        return
    lines = [translate(language, "Feeds:")]
    for feed in listed:
        name = html.escape(feed.name or feed.title or feed.url, quote=False)
        topic = f" [{html.escape(feed.topic, quote=False)}]" if feed.topic else ""
        state = _feed_state(feed, language)
        lines.append(f"#{feed.id} {name}{topic}: {state}\n{html.escape(feed.url, quote=False)}")
    await _reply_long(update, lines)


def _feed_state(feed: Any, language: str) -> str:
    if not feed.enabled:
        return translate(language, "disabled")
    if feed.error_count:
        error = html.escape((feed.last_error or "?")[:120], quote=False)
        return translate(
            language, "{errors} errors, last: {error}", errors=feed.error_count, error=error
        )
    return translate(language, "ok")


@admin_only
async def add_feed(update: Update, context: Context, services: Services, language: str) -> None:
    """/addfeed URL [topic]: fetch once, then add."""
    args = context.args or []
    if not 1 <= len(args) <= 2:
        await _message(update).reply_text(_usage(language, "/addfeed URL [topic]"))
        return
    url = management.parse_feed_url(args[0])
    if url is None:
        text = translate(language, "{value} is not an http(s) URL.", value=html.escape(args[0]))
        await _message(update).reply_text(text)
        return
    topic = args[1].strip()[:64] if len(args) == 2 else None
    await _reply_outcome(update, await management.add_feed(services, url, topic), language)


@admin_only
async def remove_feed(update: Update, context: Context, services: Services, language: str) -> None:
    """/removefeed ID."""
    args = context.args or []
    feed_id = management.parse_id(args[0]) if len(args) == 1 else None
    if feed_id is None:
        await _message(update).reply_text(_usage(language, "/removefeed ID (a number from /feeds)"))
        return
    await _reply_outcome(update, await management.remove_feed(services, feed_id), language)


# ---------------------------------------------------------------- channels


@admin_only
async def channels(update: Update, context: Context, services: Services, language: str) -> None:
    """/channels: the channels posts go to, and whether they still take them."""
    listed = await management.list_channels(services)
    if not listed:
        text = translate(language, "No channels yet. Add one: /addchannel @channel")
        await _message(update).reply_text(text)
        return
    lines = [translate(language, "Channels:")]
    for chat in listed:
        label = html.escape(management.channel_label(chat), quote=False)
        state = translate(language, "posting" if chat.status == "active" else "not posting")
        lines.append(f"{label} ({chat.telegram_id or '?'}): {state}")
    await _reply_long(update, lines)


@admin_only
async def add_channel(update: Update, context: Context, services: Services, language: str) -> None:
    """/addchannel CHAT: check the bot may post there, then make it a target."""
    ref = _channel_arg(context)
    if ref is None:
        await _message(update).reply_text(
            _usage(language, "/addchannel @channel (or its numeric id)")
        )
        return
    await _reply_outcome(update, await management.add_channel(context.bot, services, ref), language)


@admin_only
async def remove_channel(
    update: Update, context: Context, services: Services, language: str
) -> None:
    """/removechannel CHAT."""
    ref = _channel_arg(context)
    if ref is None:
        text = _usage(language, "/removechannel @channel (or its numeric id)")
        await _message(update).reply_text(text)
        return
    await _reply_outcome(update, await management.remove_channel(services, ref), language)


def _channel_arg(context: Context) -> int | str | None:
    args = context.args or []
    return management.parse_channel(args[0]) if len(args) == 1 else None


# ---------------------------------------------------------------- editors


@admin_only
async def editors(update: Update, context: Context, services: Services, language: str) -> None:
    """/editors: who may send breaking news."""
    listed = await management.list_editors(services)
    if not listed:
        text = translate(language, "No editors yet. Add one: /addeditor USER_ID")
        await _message(update).reply_text(text)
        return
    lines = [translate(language, "Editors:")]
    for editor in listed:
        source = translate(language, "settings file" if editor.source == "settings" else "added")
        lines.append(f"{editor.user_id} ({source})")
    await _reply_long(update, lines)


@admin_only
async def add_editor(update: Update, context: Context, services: Services, language: str) -> None:
    """/addeditor ID."""
    user_id = _user_arg(context)
    if user_id is None:
        await _message(update).reply_text(_usage(language, "/addeditor USER_ID (a number)"))
        return
    by = update.effective_user.id if update.effective_user else None
    await _reply_outcome(update, await management.add_editor(services, user_id, by), language)


@admin_only
async def remove_editor(
    update: Update, context: Context, services: Services, language: str
) -> None:
    """/removeeditor ID."""
    user_id = _user_arg(context)
    if user_id is None:
        await _message(update).reply_text(_usage(language, "/removeeditor USER_ID (a number)"))
        return
    await _reply_outcome(update, await management.remove_editor(services, user_id), language)


def _user_arg(context: Context) -> int | None:
    args = context.args or []
    return management.parse_id(args[0]) if len(args) == 1 else None


# ---------------------------------------------------------------- OPML


@admin_only
async def export_feeds(update: Update, context: Context, services: Services, language: str) -> None:
    """/exportfeeds: the feeds as OPML."""
    data = await management.export_opml(services)
    await _message(update).reply_document(
        InputFile(io.BytesIO(data), filename="newsbot-feeds.opml"),
        caption=translate(language, "Send this file back to me to import the feeds."),
    )


@admin_only
async def import_feeds(update: Update, context: Context, services: Services, language: str) -> None:
    """An OPML file sent to the bot: check each feed, add what works, say what did not."""
    document = _message(update).document
    if document is None:
        return
    if (document.file_size or 0) > MAX_OPML_BYTES:
        await _message(update).reply_text(
            translate(language, "That file is too big for a feed list.")
        )
        return
    progress = await _message(update).reply_text(translate(language, "Checking the feeds…"))
    data = bytes(await (await context.bot.get_file(document.file_id)).download_as_bytearray())
    counter = ProgressMessage(progress, language)
    try:
        report = await management.import_opml(services, data, counter.update)
    except OpmlError as exc:
        text = translate(language, "I cannot read that file: {error}", error=html.escape(str(exc)))
        await counter.settle()
        await progress.edit_text(text)
        return
    await counter.settle()
    await progress.edit_text(_import_summary(report, language))


class ProgressMessage:
    """Shows "checked 5 of 40" on a message while a long import runs, at most every few
    seconds (edits count against Telegram's limits), and never after the final answer."""

    EVERY = 3.0

    def __init__(self, message: Message, language: str) -> None:
        self._message = message
        self._language = language
        self._last = time.monotonic()
        self._pending: set[asyncio.Task[None]] = set()

    def update(self, done: int, total: int, _url: str) -> None:
        now = time.monotonic()
        if done >= total or now - self._last < self.EVERY or self._pending:
            return
        self._last = now
        text = translate(
            self._language, "Checking the feeds… {done} of {total}", done=done, total=total
        )
        task = asyncio.get_running_loop().create_task(self._edit(text))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _edit(self, text: str) -> None:
        try:
            await self._message.edit_text(text)
        except TelegramError as exc:  # progress is a courtesy: the final answer matters
            log.info("import progress not shown error=%s", exc)

    async def settle(self) -> None:
        """Wait for a progress edit in flight, so it cannot land after the final answer."""
        if self._pending:
            await asyncio.gather(*self._pending)


def _import_summary(report: management.ImportReport, language: str) -> str:
    lines = [
        translate(
            language,
            "Feeds in the file: {total}. Added: {added}. Known: {existing}. Failed: {failed}.",
            total=report.total,
            added=len(report.added),
            existing=len(report.existing),
            failed=len(report.failed),
        )
    ]
    for check in report.added[:20]:
        lines.append(f"+ {html.escape(check.title or check.url, quote=False)} ({check.entries})")
    for check in report.failed[:20]:
        url, error = (
            html.escape(check.url, quote=False),
            html.escape(check.error or "", quote=False),
        )
        lines.append(f"✗ {url}: {error}")
    return "\n".join(lines)[: MessageLimit.MAX_TEXT_LENGTH]


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this audience's handlers to group 0."""
    private = filters.ChatType.PRIVATE
    commands: dict[str, Callback] = {
        "stats": stats,
        "feeds": feeds,
        "addfeed": add_feed,
        "removefeed": remove_feed,
        "channels": channels,
        "addchannel": add_channel,
        "removechannel": remove_channel,
        "editors": editors,
        "addeditor": add_editor,
        "removeeditor": remove_editor,
        "export": export,
        "exportfeeds": export_feeds,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    application.add_handler(MessageHandler(private & OPML_FILTER, import_feeds))
