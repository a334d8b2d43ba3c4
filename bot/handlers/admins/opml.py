"""The feeds as OPML: /exportfeeds sends the file, and an OPML file sent back imports
its feeds, checking each one while a progress message counts them."""

from __future__ import annotations

import asyncio
import html
import io
import logging
import time

from telegram import InputFile, Message, Update
from telegram.constants import MessageLimit
from telegram.error import TelegramError
from telegram.ext import filters

from bot.feeds.opml import OpmlError
from bot.handlers.admins.access import Context, admin_only
from bot.handlers.admins.replies import message_of
from bot.i18n import translate
from bot.newsroom import management
from bot.newsroom.services import Services

log = logging.getLogger(__name__)

MAX_OPML_BYTES = 1024 * 1024
OPML_FILTER = (
    filters.Document.FileExtension("opml")
    | filters.Document.MimeType("text/x-opml")
    | filters.Document.MimeType("text/x-opml+xml")
)


@admin_only
async def export_feeds(update: Update, context: Context, services: Services, language: str) -> None:
    """/exportfeeds: the feeds as OPML."""
    data = await management.export_opml(services)
    await message_of(update).reply_document(
        InputFile(io.BytesIO(data), filename="newsbot-feeds.opml"),
        caption=translate(language, "Send this file back to me to import the feeds."),
    )


@admin_only
async def import_feeds(update: Update, context: Context, services: Services, language: str) -> None:
    """An OPML file sent to the bot: check each feed, add what works, say what did not."""
    document = message_of(update).document
    if document is None:
        return
    if (document.file_size or 0) > MAX_OPML_BYTES:
        await message_of(update).reply_text(
            translate(language, "That file is too big for a feed list.")
        )
        return
    progress = await message_of(update).reply_text(translate(language, "Checking the feeds…"))
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
