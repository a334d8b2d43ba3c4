"""The admins' controls for what the bot reads and who may post: feeds (/feeds,
/addfeed, /removefeed), channels (/channels, /addchannel, /removechannel) and
editors (/editors, /addeditor, /removeeditor).

Each parses its arguments, calls ``bot.newsroom.management`` and replies with the
outcome or a listing.
"""

from __future__ import annotations

import html
from typing import Any

from telegram import Update

from bot.handlers.admins.access import Context, admin_only
from bot.handlers.admins.replies import message_of, reply_long, reply_outcome, usage_text
from bot.i18n import translate, translate_plural
from bot.newsroom import management
from bot.newsroom.services import Services

# ---------------------------------------------------------------- feeds


@admin_only
async def feeds(update: Update, context: Context, services: Services, language: str) -> None:
    """/feeds: every feed with its id, topic and health."""
    listed = await management.list_feeds(services)
    if not listed:
        await message_of(update).reply_text(
            translate(language, "No feeds yet. Add one: /addfeed URL")
        )
        return
    lines = [translate(language, "Feeds:")]
    for feed in listed:
        name = html.escape(feed.name or feed.title or feed.url, quote=False)
        topic = f" [{html.escape(feed.topic, quote=False)}]" if feed.topic else ""
        state = _feed_state(feed, language)
        lines.append(f"#{feed.id} {name}{topic}: {state}\n{html.escape(feed.url, quote=False)}")
    await reply_long(update, lines)


def _feed_state(feed: Any, language: str) -> str:
    if not feed.enabled:
        return translate(language, "disabled")
    if feed.error_count:
        error = html.escape((feed.last_error or "?")[:120], quote=False)
        return translate_plural(
            language,
            "{errors} error, last: {error}",
            "{errors} errors, last: {error}",
            feed.error_count,
            errors=feed.error_count,
            error=error,
        )
    return translate(language, "ok")


@admin_only
async def add_feed(update: Update, context: Context, services: Services, language: str) -> None:
    """/addfeed URL [topic]: fetch once, then add."""
    args = context.args or []
    if not 1 <= len(args) <= 2:
        await message_of(update).reply_text(usage_text(language, "/addfeed URL [topic]"))
        return
    url = management.parse_feed_url(args[0])
    if url is None:
        text = translate(language, "{value} is not an http(s) URL.", value=html.escape(args[0]))
        await message_of(update).reply_text(text)
        return
    topic = args[1].strip()[:64] if len(args) == 2 else None
    await reply_outcome(update, await management.add_feed(services, url, topic), language)


@admin_only
async def remove_feed(update: Update, context: Context, services: Services, language: str) -> None:
    """/removefeed ID."""
    args = context.args or []
    feed_id = management.parse_id(args[0]) if len(args) == 1 else None
    if feed_id is None:
        await message_of(update).reply_text(
            usage_text(language, "/removefeed ID (a number from /feeds)")
        )
        return
    await reply_outcome(update, await management.remove_feed(services, feed_id), language)


# ---------------------------------------------------------------- channels


@admin_only
async def channels(update: Update, context: Context, services: Services, language: str) -> None:
    """/channels: the channels posts go to, and whether they still take them."""
    listed = await management.list_channels(services)
    if not listed:
        text = translate(language, "No channels yet. Add one: /addchannel @channel")
        await message_of(update).reply_text(text)
        return
    lines = [translate(language, "Channels:")]
    for chat in listed:
        label = html.escape(management.channel_label(chat), quote=False)
        state = translate(language, "posting" if chat.status == "active" else "not posting")
        lines.append(f"{label} ({chat.telegram_id or '?'}): {state}")
    await reply_long(update, lines)


@admin_only
async def add_channel(update: Update, context: Context, services: Services, language: str) -> None:
    """/addchannel CHAT: check the bot may post there, then make it a target."""
    ref = _channel_arg(context)
    if ref is None:
        await message_of(update).reply_text(
            usage_text(language, "/addchannel @channel (or its numeric id)")
        )
        return
    await reply_outcome(update, await management.add_channel(context.bot, services, ref), language)


@admin_only
async def remove_channel(
    update: Update, context: Context, services: Services, language: str
) -> None:
    """/removechannel CHAT."""
    ref = _channel_arg(context)
    if ref is None:
        text = usage_text(language, "/removechannel @channel (or its numeric id)")
        await message_of(update).reply_text(text)
        return
    await reply_outcome(update, await management.remove_channel(services, ref), language)


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
        await message_of(update).reply_text(text)
        return
    lines = [translate(language, "Editors:")]
    for editor in listed:
        source = translate(language, "settings file" if editor.source == "settings" else "added")
        lines.append(f"{editor.user_id} ({source})")
    await reply_long(update, lines)


@admin_only
async def add_editor(update: Update, context: Context, services: Services, language: str) -> None:
    """/addeditor ID."""
    user_id = _user_arg(context)
    if user_id is None:
        await message_of(update).reply_text(usage_text(language, "/addeditor USER_ID (a number)"))
        return
    by = update.effective_user.id if update.effective_user else None
    await reply_outcome(update, await management.add_editor(services, user_id, by), language)


@admin_only
async def remove_editor(
    update: Update, context: Context, services: Services, language: str
) -> None:
    """/removeeditor ID."""
    user_id = _user_arg(context)
    if user_id is None:
        await message_of(update).reply_text(
            usage_text(language, "/removeeditor USER_ID (a number)")
        )
        return
    await reply_outcome(update, await management.remove_editor(services, user_id), language)


def _user_arg(context: Context) -> int | None:
    args = context.args or []
    return management.parse_id(args[0]) if len(args) == 1 else None
