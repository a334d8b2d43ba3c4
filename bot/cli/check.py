"""`newsbot check`: before a first run, is every part the bot needs there?

Reads the settings, changes nothing (no migration, no file created), and
asks each part once: Telegram for the token and the right to post in each
chat, the database for its revision, each feed for a document that parses
(fetched and parsed as a poll would, under the same address policy).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.cli.preflight import (
    FAIL,
    OK,
    SKIP,
    Check,
    check_line,
    migration_verdict,
    posting_verdict,
    verdict_sentence,
)
from bot.cli.sentences import one_line, plural
from bot.delivery.transport import make_request
from bot.feeds.fetcher import Fetcher, FetchError
from bot.feeds.refresh import FEED_ACCEPT, parse_response
from config.settings import Settings, parse_chat_ref
from storage.chats import list_channels
from storage.db import create_engine, current_revision, head_revision, session_factory
from storage.feeds import list_feeds

log = logging.getLogger(__name__)


async def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print one line per check and a verdict; 0 only when every check passed."""
    token = settings.require_token()
    checks: list[Check] = []
    database, channels, feeds = await check_database(settings)
    checks.append(database)
    bot = Bot(
        token,
        base_url=f"{settings.api_url}/bot{{token}}",
        base_file_url=f"{settings.api_url}/file/bot{{token}}",
        request=make_request(settings),
    )
    token_check = await check_token(bot)
    checks.insert(0, token_check)
    print(check_line(token_check))
    print(check_line(database))
    try:
        for ref in _unique([*configured_channels(settings), *channels]):
            checks.append(await check_chat(bot, ref, usable=token_check.status == OK))
            print(check_line(checks[-1]))
    finally:
        await _close(bot)
    fetcher = Fetcher(settings.polling, allow_private=settings.allow_private_fetch)
    try:
        for url in _unique([*(feed.url for feed in settings.feeds), *feeds]):
            checks.append(await check_feed(fetcher, url))
            print(check_line(checks[-1]))
    finally:
        await fetcher.aclose()
    print(verdict_sentence(checks))
    return 0 if all(check.status == OK for check in checks) else 1


def configured_channels(settings: Settings) -> list[str]:
    """Every chat the settings file posts to: its channels and each feed's."""
    return [*settings.channels, *(ref for feed in settings.feeds for ref in feed.channels)]


async def check_token(bot: Bot) -> Check:
    """getMe: does Telegram accept the token?"""
    try:
        await bot.initialize()  # calls getMe
    except InvalidToken:
        return Check("token", FAIL, "Telegram refuses it (Unauthorized): check TELEGRAM_BOT_TOKEN")
    except TelegramError as exc:
        return Check("token", FAIL, f"the Bot API did not answer: {one_line(str(exc))}")
    return Check("token", OK, f"the bot is @{bot.username} (id {bot.id})")


async def check_chat(bot: Bot, ref: str, *, usable: bool) -> Check:
    """getChat and getChatMember: may the bot post there?"""
    subject = f"channel {ref}"
    if not usable:
        return Check(subject, SKIP, "not checked: the token does not work")
    try:
        chat = await bot.get_chat(parse_chat_ref(ref))
        member = await bot.get_chat_member(chat.id, bot.id)
    except TelegramError as exc:
        return Check(subject, FAIL, f"Telegram says: {one_line(exc.message)}")
    allowed, why = posting_verdict(
        chat.type,
        member.status,
        can_post_messages=getattr(member, "can_post_messages", None),
        can_send_messages=getattr(member, "can_send_messages", None),
    )
    return Check(subject, OK if allowed else FAIL, why)


async def check_database(settings: Settings) -> tuple[Check, list[str], list[str]]:
    """Is the database at the newest migration? With it, the chats and feeds it adds."""
    missing = await asyncio.to_thread(_missing_sqlite_file, settings.database_url)
    if missing is not None:
        why = f"no database at {missing}: run `newsbot db upgrade`"
        return Check("database", FAIL, why), [], []
    engine = create_engine(settings.database_url)
    try:
        current = await current_revision(engine)
        migrated, why = migration_verdict(current, head_revision())
        if not migrated:
            return Check("database", FAIL, why), [], []
        async with session_factory(engine)() as session:
            chats = [_chat_ref(chat) for chat in await list_channels(session)]
            feeds = [feed.url for feed in await list_feeds(session) if feed.enabled]
        return Check("database", OK, why), chats, feeds
    except (SQLAlchemyError, OSError) as exc:
        log.debug("database check failed", exc_info=True)
        return Check("database", FAIL, f"cannot read it: {one_line(str(exc))[:200]}"), [], []
    finally:
        await engine.dispose()


async def check_feed(fetcher: Fetcher, url: str) -> Check:
    """Fetch and parse the feed as a poll would."""
    subject = f"feed {url}"
    try:
        parsed = await parse_response(await fetcher.get(url, accept=FEED_ACCEPT))
    except (FetchError, ValueError) as exc:
        return Check(subject, FAIL, one_line(str(exc)))
    if parsed is None:  # 304 without a validator sent: not a feed server's answer
        return Check(subject, FAIL, "answered 304 Not Modified to a plain GET")
    title = f" ({parsed.title})" if parsed.title else ""
    return Check(subject, OK, f"parses, {plural(len(parsed.entries), 'entry', 'entries')}{title}")


def _missing_sqlite_file(database_url: str) -> Path | None:
    """A SQLite file that is not there yet (connecting would create it empty)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database or "").expanduser()
    return None if path.exists() else path


def _chat_ref(chat: object) -> str:
    username = getattr(chat, "username", None)
    return f"@{username}" if username else str(getattr(chat, "telegram_id", ""))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


async def _close(bot: Bot) -> None:
    try:
        await bot.shutdown()
    except TelegramError:  # nothing is left to tell the operator about a closing connection
        log.debug("closing the Bot API client failed", exc_info=True)
