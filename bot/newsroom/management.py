"""The newsroom's controls: feeds, channels, editors and OPML, for Telegram and the CLI alike.

Each action returns an :class:`Outcome`, a message id with its values, so the
Telegram handler can say it in the admin's language (escaped for HTML) and the
CLI can print it in English. Nothing here knows who asked: the callers check
that the user is an admin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, ChatMember
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.feeds.fetcher import Fetcher, FetchError
from bot.feeds.opml import OpmlFeed, build_opml, parse_opml
from bot.feeds.parser.document import parse_feed
from bot.feeds.refresh import FEED_ACCEPT
from bot.i18n import translate, translate_plural
from bot.newsroom.services import Services
from config.settings import parse_chat_ref
from storage import chats as chat_store
from storage import feeds as feed_store
from storage import roles as role_store
from storage.db import utcnow
from storage.models import Chat, Feed

DEFAULT_INTERVAL = 300
# Checking many feeds at once: enough to hide latency, polite to the sources.
PARALLEL_CHECKS = 4


@dataclass(frozen=True)
class Outcome:
    """What happened, as a message id and its values; ``ok`` says whether anything changed."""

    ok: bool
    msgid: str
    values: dict[str, Any] = field(default_factory=dict)
    plural: str | None = None  # a counted message: its plural msgid; ``count`` picks the form
    count: int = 0

    def text(self, language: str | None = "en", values: dict[str, Any] | None = None) -> str:
        """The message in ``language``, with ``values`` (default: the outcome's own)."""
        shown = self.values if values is None else values
        if self.plural is not None:
            return translate_plural(language, self.msgid, self.plural, self.count, **shown)
        return translate(language, self.msgid, **shown)


# ---------------------------------------------------------------- input


def parse_feed_url(text: str) -> str | None:
    """An http(s) URL with a host, or None."""
    value = text.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 2048:
        return None
    return value


def parse_id(text: str) -> int | None:
    """A feed's or a user's id (a positive integer), or None."""
    value = text.strip()
    if not value.isdigit() or len(value) > 16:
        return None
    return int(value) or None


def parse_channel(text: str) -> int | str | None:
    """``@username`` or a numeric chat id, or None."""
    try:
        return parse_chat_ref(text)
    except ValueError:
        return None


# ---------------------------------------------------------------- feeds


@dataclass(frozen=True)
class FeedCheck:
    url: str
    title: str | None = None
    entries: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def check_feed(fetcher: Fetcher, url: str) -> FeedCheck:
    """Fetch and parse a feed once: its title and entry count, or why it cannot be used."""
    try:
        response = await fetcher.get(url, accept=FEED_ACCEPT)
        if response.status >= 400:
            return FeedCheck(url, error=f"HTTP {response.status}")
        parsed = await asyncio.to_thread(
            parse_feed, response.body, response.url, response.content_type
        )
    except (FetchError, ValueError) as exc:
        return FeedCheck(url, error=str(exc)[:300])
    return FeedCheck(url, title=parsed.title, entries=len(parsed.entries))


async def add_feed(
    services: Services, url: str, topic: str | None = None, check: FeedCheck | None = None
) -> Outcome:
    """Add a feed after fetching it once; it posts only entries that appear from now on."""
    async with services.sessions() as session:
        existing = await feed_store.feed_by_url(session, url)
        if existing is not None and existing.enabled:
            return Outcome(
                False, "Feed #{id} is already there: {url}", {"id": existing.id, "url": url}
            )
    check = check or await check_feed(services.fetcher, url)
    if not check.ok:
        return Outcome(False, "Cannot add {url}: {error}", {"url": url, "error": check.error})
    async with services.sessions.begin() as session:
        # A new feed's first poll records what it already has as seen: only new entries post.
        feed = await feed_store.upsert_feed(
            session,
            url=url,
            name=None,
            topic=topic,
            interval=DEFAULT_INTERVAL,
            backfill=0,
            origin="admin",
        )
        feed.title = (check.title or "")[:512] or None
        feed_id = feed.id
    return Outcome(
        True,
        "Added feed #{id} {title} ({entries} entry now); only new entries will be posted.",
        {"id": feed_id, "title": check.title or url, "entries": check.entries},
        plural="Added feed #{id} {title} ({entries} entries now); only new entries will be posted.",
        count=check.entries,
    )


async def remove_feed(services: Services, feed_id: int) -> Outcome:
    async with services.sessions.begin() as session:
        feed = await feed_store.get_feed(session, feed_id)
        if feed is None:
            return Outcome(False, "There is no feed #{id}.", {"id": feed_id})
        if feed.origin == "settings" and feed.enabled:
            return Outcome(
                False,
                "Feed #{id} comes from the settings file: remove it there.",
                {"id": feed_id},
            )
        await feed_store.remove_feed(session, feed_id)
    return Outcome(True, "Feed #{id} removed.", {"id": feed_id})


async def list_feeds(services: Services) -> Sequence[Feed]:
    async with services.sessions() as session:
        return await feed_store.list_feeds(session)


# ---------------------------------------------------------------- channels


def can_post(member: ChatMember, chat_type: str) -> bool:
    """Whether the bot, as this member, may post: an admin with the right in a channel,
    a member not restricted in a group."""
    status = member.status
    if chat_type == ChatType.CHANNEL:
        if status == ChatMemberStatus.OWNER:
            return True
        return status == ChatMemberStatus.ADMINISTRATOR and bool(
            getattr(member, "can_post_messages", False)
        )
    return status in (
        ChatMemberStatus.OWNER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.MEMBER,
    )


async def add_channel(bot: Bot, services: Services, ref: int | str) -> Outcome:
    """Make a channel a post target, once Telegram confirms the bot may post there."""
    label = str(ref)
    try:
        info = await bot.get_chat(ref)
        member = await bot.get_chat_member(info.id, bot.id)
    except TelegramError as exc:
        return Outcome(False, "Cannot reach {chat}: {error}", {"chat": label, "error": exc.message})
    if info.type == ChatType.PRIVATE:
        return Outcome(False, "{chat} is a person, not a channel.", {"chat": label})
    if not can_post(member, info.type):
        return Outcome(
            False,
            "I am not an administrator allowed to post in {chat}: make me one and try again.",
            {"chat": label},
        )
    async with services.sessions.begin() as session:
        chat = await _registered_channel(session, info.id, info.username, info.type, info.title)
        label = channel_label(chat)
    return Outcome(True, "Channel {chat} added: posts will go there.", {"chat": label})


async def _registered_channel(
    session: Any, telegram_id: int, username: str | None, kind: str, title: str | None
) -> Chat:
    chat = await chat_store.chat_by_telegram_id(session, telegram_id)
    if chat is None and username:
        chat = await chat_store.channel_by_ref(session, f"@{username}")
    if chat is None:
        chat = await chat_store.ensure_channel(session, telegram_id, title=title)
    chat.telegram_id, chat.kind, chat.title = telegram_id, kind, title or chat.title
    chat.username = username or chat.username
    chat.is_target = True
    chat.last_error = None
    await chat_store.set_status(session, chat, "active", event="returned")
    await session.flush()
    return chat


async def remove_channel(services: Services, ref: int | str) -> Outcome:
    async with services.sessions.begin() as session:
        chat = await chat_store.channel_by_ref(session, ref)
        if chat is None or chat.kind == "private" or not chat.is_target:
            return Outcome(False, "{chat} is not one of the channels.", {"chat": str(ref)})
        chat.is_target = False
        label = channel_label(chat)
    return Outcome(True, "Channel {chat} removed: no more posts go there.", {"chat": label})


async def list_channels(services: Services) -> Sequence[Chat]:
    async with services.sessions() as session:
        return await chat_store.list_channels(session)


def channel_label(chat: Chat) -> str:
    if chat.username:
        return f"@{chat.username}"
    return chat.title or str(chat.telegram_id)


# ---------------------------------------------------------------- editors


@dataclass(frozen=True)
class Editor:
    user_id: int
    source: str  # settings | added


async def list_editors(services: Services) -> list[Editor]:
    """Editors from the settings file, then those added in Telegram or the CLI."""
    async with services.sessions() as session:
        stored = [role.user_id for role in await role_store.users_with_role(session, "editor")]
    editors = [Editor(user_id, "settings") for user_id in services.settings.editors]
    known = {editor.user_id for editor in editors}
    return editors + [Editor(user_id, "added") for user_id in stored if user_id not in known]


async def add_editor(services: Services, user_id: int, added_by: int | None) -> Outcome:
    if user_id in services.settings.editors or user_id in services.settings.admins:
        return Outcome(False, "{id} is already an editor.", {"id": user_id})
    async with services.sessions.begin() as session:
        added = await role_store.add_role(session, user_id, "editor", added_by)
    if not added:
        return Outcome(False, "{id} is already an editor.", {"id": user_id})
    return Outcome(True, "{id} is now an editor.", {"id": user_id})


async def remove_editor(services: Services, user_id: int) -> Outcome:
    async with services.sessions.begin() as session:
        removed = await role_store.remove_role(session, user_id, "editor")
    if removed:
        return Outcome(True, "{id} is no longer an editor.", {"id": user_id})
    if user_id in services.settings.editors:
        return Outcome(
            False, "{id} is an editor in the settings file: remove them there.", {"id": user_id}
        )
    return Outcome(False, "{id} is not an editor.", {"id": user_id})


# ---------------------------------------------------------------- OPML


@dataclass
class ImportReport:
    added: list[FeedCheck] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    failed: list[FeedCheck] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.added) + len(self.existing) + len(self.failed)


Progress = Callable[[int, int, str], None]  # done, total, the URL just checked


async def import_opml(
    services: Services, data: bytes, progress: Progress | None = None
) -> ImportReport:
    """Add every feed of an OPML file that works; known ones are left as they are.

    Raises :class:`bot.feeds.opml.OpmlError` when the file cannot be read at all.
    """
    listed = parse_opml(data)
    async with services.sessions() as session:
        known = {feed.url for feed in await feed_store.list_feeds(session) if feed.enabled}
    report = ImportReport(existing=[item.url for item in listed if item.url in known])
    todo = [item for item in listed if item.url not in known]
    gate = asyncio.Semaphore(PARALLEL_CHECKS)
    done = len(report.existing)
    total = len(listed)

    async def one(item: OpmlFeed) -> tuple[OpmlFeed, FeedCheck]:
        nonlocal done
        async with gate:
            check = await _checked(services.fetcher, item.url)
        done += 1
        if progress is not None:
            progress(done, total, item.url)
        return item, check

    for item, check in await asyncio.gather(*(one(item) for item in todo)):
        if not check.ok:
            report.failed.append(check)
            continue
        outcome = await add_feed(services, item.url, item.topic, check)
        if outcome.ok:
            report.added.append(check)
        else:  # listed twice, or added meanwhile by someone else
            report.existing.append(item.url)
    return report


async def _checked(fetcher: Fetcher, url: str) -> FeedCheck:
    if parse_feed_url(url) is None:
        return FeedCheck(url, error="not an http(s) URL")
    return await check_feed(fetcher, url)


async def export_opml(services: Services) -> bytes:
    """Every enabled feed as OPML, topics as folders."""
    async with services.sessions() as session:
        feeds = [feed for feed in await feed_store.list_feeds(session) if feed.enabled]
    stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    return build_opml(
        [OpmlFeed(feed.url, feed.name or feed.title, feed.topic) for feed in feeds],
        title=f"newsbot feeds, {stamp}",
    )
