"""Handlers for editors: /breaking (text or photo), its buttons, /recall, /correct, /audit.

Authority is checked on every step, not only on the command: a button press is
refused unless the presser is an editor now, whatever the callback data says
(it may be forwarded or replayed). The work is in :mod:`bot.newsroom.breaking`.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters
from telegram.ext import MessageHandler as _MessageHandler

from bot.i18n import normalize_language, translate
from bot.newsroom.breaking import changes, keyboards, ledger, preview, reports, texts
from bot.newsroom.breaking.keyboards import Step
from bot.newsroom.roles import Role, role_of
from bot.newsroom.services import Services, services_of
from storage import audit
from storage.chats import chat_by_telegram_id

log = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("breaking", "Preview breaking news, then publish it to every channel and reader"),
    ("recall", "Delete the latest breaking post from every chat"),
    ("correct", "Replace the text of the latest breaking post in every chat"),
    ("audit", "Who previewed, published, recalled or corrected what"),
)

AUDIT_LIMIT = 20
BREAKING_CAPTION = r"^/breaking(@\w+)?(\s|$)"


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this audience's handlers to group 0."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("breaking", on_breaking, filters=private))
    application.add_handler(
        _MessageHandler(
            private & filters.PHOTO & filters.CaptionRegex(BREAKING_CAPTION), on_breaking
        )
    )
    application.add_handler(CommandHandler("recall", on_recall, filters=private))
    application.add_handler(CommandHandler("correct", on_correct, filters=private))
    application.add_handler(CommandHandler("audit", on_audit, filters=private))
    application.add_handler(
        CallbackQueryHandler(on_button, pattern=rf"^{keyboards.CALLBACK_PREFIX}:")
    )


# --------------------------------------------------------------------------- who is asking


async def language_of(services: Services, user: User) -> str:
    """The language a user reads: their reader settings, else Telegram's language code."""
    async with services.sessions() as session:
        chat = await chat_by_telegram_id(session, user.id)
    if chat is not None and chat.kind == "private":
        return normalize_language(chat.language)
    return normalize_language(user.language_code)


async def editor_asking(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Services, User, Message, str] | None:
    """The services, editor, message and language; None (after a refusal) for anyone else."""
    services = services_of(context.bot_data)
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return None
    language = await language_of(services, user)
    if await role_of(services.settings, services.sessions, user.id) < Role.EDITOR:
        await message.reply_text(translate(language, "This command is for editors only."))
        return None
    return services, user, message, language


# --------------------------------------------------------------------------- commands


async def on_breaking(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/breaking TEXT, or a photo captioned so: reply with the exact post and Publish/Cancel."""
    asking = await editor_asking(update, context)
    if asking is None:
        return
    services, user, message, language = asking
    text = texts.command_argument(message.caption if message.photo else message.text)
    if not text:
        await message.reply_text(
            translate(language, "Write the news after the command: /breaking TEXT")
        )
        return
    photo = max(message.photo, key=lambda size: size.width * size.height) if message.photo else None
    await preview.preview(
        context.bot,
        services,
        author_id=user.id,
        chat_id=message.chat_id,
        text=text,
        language=language,
        photo_file_id=photo.file_id if photo else None,
    )


async def on_recall(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/recall: ask to confirm deleting the latest breaking post, offering older ones too."""
    asking = await editor_asking(update, context)
    if asking is None:
        return
    services, _user, message, language = asking
    candidates = await ledger.recall_candidates(services)
    if not candidates:
        await message.reply_text(translate(language, "There is no published breaking post."))
        return
    text, keyboard = recall_prompt(candidates[0], candidates[1:], language)
    await message.reply_text(text, reply_markup=keyboard)


async def on_correct(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/correct NEW TEXT: replace the latest breaking post's text in every chat, then report."""
    asking = await editor_asking(update, context)
    if asking is None:
        return
    services, user, message, language = asking
    text = texts.command_argument(message.text)
    if not text:
        await message.reply_text(
            translate(language, "Write the corrected text after the command: /correct TEXT")
        )
        return
    post = await ledger.latest_post(services)
    if post is None:
        await message.reply_text(translate(language, "There is no published breaking post."))
        return
    status = await message.reply_text(
        translate(language, "Correcting post #{post} in every chat…", post=post.id)
    )

    async def correct_and_report() -> None:
        report = await changes.correct(
            context.bot,
            services,
            post.id,
            text,
            user.id,
            keep_going=lambda: context.application.running,
        )
        await _edit(status, reports.correction_report_text(post.id, report, language))

    context.application.create_task(correct_and_report(), update=update)


async def on_audit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/audit: the last entries of the audit log, newest first."""
    asking = await editor_asking(update, context)
    if asking is None:
        return
    services, _user, message, language = asking
    async with services.sessions() as session:
        entries = await audit.recent(session, AUDIT_LIMIT)
    if not entries:
        await message.reply_text(translate(language, "The audit log is empty."))
        return
    lines = "\n".join(html.escape(texts.audit_line(entry)) for entry in entries)
    header = translate(language, "Audit log, newest first:")
    await message.reply_text(f"{html.escape(header)}\n<pre>{lines}</pre>")


# --------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on an editor's button: re-check who presses, then do the one step it names."""
    query = update.callback_query
    if query is None:
        return
    services = services_of(context.bot_data)
    language = await language_of(services, query.from_user)
    parsed = keyboards.parse_callback(query.data)
    if parsed is None:
        await query.answer()
        return
    if await role_of(services.settings, services.sessions, query.from_user.id) < Role.EDITOR:
        log.warning("editor button refused user=%s data=%r", query.from_user.id, query.data)
        await query.answer(translate(language, "Only editors can do this."), show_alert=True)
        return
    step, post_id = parsed
    handler = _STEPS[step]
    await handler(update, context, services, post_id, language)


async def _publish(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    post_id: int,
    language: str,
) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    answer = await ledger.publish(services, post_id, user.id)
    await query.answer(answer.text(language))
    if answer.ok:
        progress = preview.follow_progress(
            context.bot,
            services,
            post_id,
            language,
            keep_going=lambda: context.application.running,
        )
        context.application.create_task(progress, update=update)


async def _cancel(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    post_id: int,
    language: str,
) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    answer = await preview.cancel(context.bot, services, post_id, user.id, language)
    await query.answer(answer.text(language))


async def _pick(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    post_id: int,
    language: str,
) -> None:
    query = update.callback_query
    assert query is not None
    candidates = await ledger.recall_candidates(services)
    chosen = [c for c in candidates if c.post_id == post_id]
    if not chosen or not isinstance(query.message, Message):
        await query.answer(translate(language, "This post has already been recalled."))
        return
    others = [c for c in candidates if c.post_id != post_id]
    text, keyboard = recall_prompt(chosen[0], others, language)
    await query.answer()
    await _edit(query.message, text, keyboard)


async def _recall(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    post_id: int,
    language: str,
) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    answer, dropped = await ledger.start_recall(services, post_id)
    await query.answer(answer.text(language))
    if not answer.ok:
        return
    message = query.message if isinstance(query.message, Message) else None
    if message is not None:
        await _edit(message, translate(language, "Recalling post #{post}…", post=post_id))

    async def recall_and_report() -> None:
        report = await changes.recall(
            context.bot,
            services,
            post_id,
            user.id,
            dropped=dropped,
            keep_going=lambda: context.application.running,
        )
        text = reports.recall_report_text(post_id, report, language)
        if message is not None:
            await _edit(message, text)
        else:
            await context.bot.send_message(user.id, text)

    context.application.create_task(recall_and_report(), update=update)


async def _keep(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    post_id: int,
    language: str,
) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    if isinstance(query.message, Message):
        await _edit(query.message, translate(language, "Nothing was recalled."))


_STEPS = {
    Step.PUBLISH: _publish,
    Step.CANCEL: _cancel,
    Step.PICK: _pick,
    Step.RECALL: _recall,
    Step.KEEP: _keep,
}


# --------------------------------------------------------------------------- messages


def recall_prompt(
    chosen: ledger.Candidate, others: list[ledger.Candidate], language: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Confirm recalling ``chosen`` (first button of the first row), or pick an older post."""
    when = chosen.published_at.strftime("%Y-%m-%d %H:%M UTC") if chosen.published_at else "-"
    lines = [
        translate(
            language,
            "Delete post #{post} from every chat it reached ({chats})?",
            post=chosen.post_id,
            chats=texts.format_number(chosen.chats, language),
        ),
        f"<i>{html.escape(texts.excerpt(chosen.text, 200))}</i>",
        translate(language, "Published {when}.", when=when),
    ]
    rows = [
        [
            InlineKeyboardButton(
                translate(language, "🗑 Recall"),
                callback_data=keyboards.callback_data(Step.RECALL, chosen.post_id),
            ),
            InlineKeyboardButton(
                translate(language, "Keep it"),
                callback_data=keyboards.callback_data(Step.KEEP, chosen.post_id),
            ),
        ]
    ]
    if others:
        lines.append(translate(language, "Or choose an older post:"))
    for other in others:
        label = f"#{other.post_id} · {texts.excerpt(other.text, 30)}"
        rows.append(
            [
                InlineKeyboardButton(
                    label, callback_data=keyboards.callback_data(Step.PICK, other.post_id)
                )
            ]
        )
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace a status message's text; a refused edit is logged, not raised."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramError as exc:
        if "not modified" not in str(exc).lower():
            log.warning("status edit failed message_id=%s error=%r", message.message_id, str(exc))
