"""The chat's life from Telegram's own ``my_chat_member`` updates.

In a private chat the update means the reader blocked or unblocked the bot.
In a channel or group it means the bot was added, promoted, demoted or
removed: a chat the newsroom listed (or a feed names) is registered and
posted to; one nobody listed is recorded but not posted to; losing the right
to post stops posting there. The admins are told about each change.
"""

from __future__ import annotations

import enum
import html
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Chat as TelegramChat
from telegram import ChatMember, ChatMemberAdministrator, ChatMemberRestricted, Update
from telegram.constants import ChatType
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from bot.newsroom import readers
from bot.newsroom.notify import notify_admins
from bot.newsroom.services import Services, services_of
from storage.chats import channel_by_ref, record_event, set_status
from storage.db import utcnow
from storage.models import Chat
from storage.subscriptions import is_named_by_feed

log = logging.getLogger(__name__)

POSTING = "I can post in {chat} now: posts go there."
UNLISTED = "I was added to {chat}. It is not a target yet: send /addchannel {ref} to post there."
LOST = "I can no longer post in {chat}: posting there has stopped."


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Track the bot's own membership in every chat."""
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))


def may_post(member: ChatMember, chat_type: str) -> bool:
    """Whether the bot, as ``member``, can post in a chat of ``chat_type``.

    In a channel only an administrator with ``can_post_messages`` (or the
    creator) can; in a group any member can, unless restricted from sending.
    """
    if member.status == ChatMember.OWNER:
        return True
    if chat_type == ChatType.CHANNEL:
        return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
    if isinstance(member, ChatMemberRestricted):
        return member.is_member and member.can_send_messages
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.MEMBER)


class Outcome(enum.Enum):
    POSTING = "posting"  # a listed chat, registered: posts go there
    UNLISTED = "unlisted"  # recorded, not a target
    LOST = "lost"  # was posting, cannot any more


NOTICES = {Outcome.POSTING: POSTING, Outcome.UNLISTED: UNLISTED, Outcome.LOST: LOST}


@dataclass(frozen=True)
class ChatChange:
    outcome: Outcome
    label: str  # the chat's name as admins know it, HTML-escaped
    ref: str  # what /addchannel takes: @username or the numeric id


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's own status changed somewhere."""
    change = update.my_chat_member
    if change is None:
        return
    services = services_of(context.bot_data)
    chat = change.chat
    if chat.type == ChatType.PRIVATE:
        await _private_change(services, chat.id, change.old_chat_member, change.new_chat_member)
        return
    before = may_post(change.old_chat_member, chat.type)
    after = may_post(change.new_chat_member, chat.type)
    if before == after:
        return
    result = await (chat_gained(services, chat) if after else chat_lost(services, chat))
    if result is not None:
        await notify_admins(
            context.bot, services, NOTICES[result.outcome], chat=result.label, ref=result.ref
        )


async def _private_change(
    services: Services, user_id: int, old: ChatMember, new: ChatMember
) -> None:
    """member -> kicked: the reader blocked the bot; kicked -> member: unblocked it."""
    if new.status == ChatMember.BANNED:
        changed = await readers.reader_blocked(services.sessions, user_id)
        log.info("reader blocked the bot user_id=%s changed=%s", user_id, changed)
    elif old.status == ChatMember.BANNED and new.status == ChatMember.MEMBER:
        changed = await readers.reader_unblocked(services.sessions, user_id)
        log.info("reader unblocked the bot user_id=%s changed=%s", user_id, changed)


async def chat_gained(services: Services, tg_chat: TelegramChat) -> ChatChange | None:
    """The bot can post in a channel or group now: register it if listed, else record it."""
    async with services.sessions() as session, session.begin():
        chat = await channel_by_ref(session, tg_chat.id)
        if chat is None and tg_chat.username:
            chat = await channel_by_ref(session, f"@{tg_chat.username}")
        if chat is None:
            chat = Chat(kind=tg_chat.type, status="active", is_target=False, joined_at=utcnow())
            _describe(chat, tg_chat)
            session.add(chat)
            await session.flush()
            await record_event(session, chat, "joined")
            listed = False
        else:
            _describe(chat, tg_chat)
            await set_status(session, chat, "active", event="joined")
            listed = chat.is_target or await is_named_by_feed(session, chat.id)
    log.info("bot can post chat_id=%s listed=%s", tg_chat.id, listed)
    return ChatChange(Outcome.POSTING if listed else Outcome.UNLISTED, *_names(tg_chat))


async def chat_lost(services: Services, tg_chat: TelegramChat) -> ChatChange | None:
    """The bot was removed or lost the right to post: stop posting there."""
    async with services.sessions() as session, session.begin():
        chat = await channel_by_ref(session, tg_chat.id)
        if chat is None:
            return None
        changed = await set_status(session, chat, "left", event="left")
    log.info("bot can no longer post chat_id=%s changed=%s", tg_chat.id, changed)
    return ChatChange(Outcome.LOST, *_names(tg_chat)) if changed else None


def _describe(chat: Chat, tg_chat: TelegramChat) -> None:
    """Fill in what Telegram says about the chat (a listed channel may be known by name only)."""
    chat.telegram_id = tg_chat.id
    chat.kind = tg_chat.type
    chat.title = tg_chat.title or chat.title
    chat.username = tg_chat.username or chat.username


def _names(tg_chat: TelegramChat) -> tuple[str, str]:
    ref = f"@{tg_chat.username}" if tg_chat.username else str(tg_chat.id)
    label = html.escape(tg_chat.title or ref)
    return label, ref
