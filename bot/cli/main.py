"""The ``newsbot`` command line: parse arguments, load settings once, run one command.

Exit codes: 0 done, 1 runtime failure, 2 bad usage or bad configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot import eventloop
from bot.cli import admin, editors
from bot.cli.sentences import failure_sentence, one_line, plural
from bot.cli.usage import UsageError
from config.logging import configure_logging
from config.settings import Settings, SettingsError, load_settings, parse_chat_ref

log = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    configure_logging(settings.log_level, token)
    try:
        return eventloop.run(args.func(args, settings))
    except (SettingsError, UsageError) as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        # The traceback is for whoever debugs; the operator reads one line.
        log.debug("newsbot %s failed", args.command, exc_info=True)
        expected = isinstance(exc, expected_failures())
        print(failure_sentence(args.command, exc, expected=expected), file=sys.stderr)
        return 1


def expected_failures() -> tuple[type[BaseException], ...]:
    """Errors the world causes (a bad feed, Telegram or the database refusing), not bugs.

    Imported here, on failure only, to keep them off every command's start-up.
    """
    from sqlalchemy.exc import SQLAlchemyError
    from telegram.error import TelegramError

    from bot.feeds.fetcher import FetchError

    return (ValueError, OSError, FetchError, TelegramError, SQLAlchemyError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__)
    parser.add_argument("--config", help="settings file (default: config/newsbot.toml)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sub.set_defaults(func=func)
        return sub

    run = add("run", cmd_run, "run the bot until SIGINT/SIGTERM")
    run.add_argument(
        "--webhook", metavar="URL", help="receive updates by webhook at this https:// URL"
    )
    poll = add("poll", cmd_poll, "poll feeds and deliver what is new")
    poll.add_argument("--once", action="store_true", required=True, help="poll every feed once")
    add("demo", cmd_demo, "offline end-to-end run against a local Bot API emulator")
    preview = add("preview", cmd_preview, "render the posts a feed would produce, send nothing")
    preview.add_argument("source", metavar="FEED_URL_OR_FILE")
    preview.add_argument("--limit", type=int, default=5)
    _add_feeds(commands, add)
    _add_channels(commands, add)
    db = add("db", cmd_db, "database maintenance")
    db.add_argument("action", choices=["upgrade"])
    add("check", cmd_check, "check the token, channels, database and feeds; 0 when all hold")
    admin.register(add)
    editors.register(add)
    return parser


def _add_feeds(commands: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    feeds = add("feeds", cmd_feeds_list, "manage feeds")
    sub = feeds.add_subparsers(dest="action", metavar="ACTION")
    add_feed = sub.add_parser("add", help="add a feed")
    add_feed.add_argument("url")
    add_feed.add_argument("--name")
    add_feed.add_argument("--topic")
    add_feed.add_argument("--channel", action="append", default=[], metavar="CHAT")
    add_feed.add_argument("--interval", type=int, default=300)
    add_feed.add_argument("--backfill", type=int, default=0)
    add_feed.set_defaults(func=cmd_feeds_add)
    sub.add_parser("list", help="list feeds").set_defaults(func=cmd_feeds_list)
    remove = sub.add_parser("remove", help="remove a feed")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=cmd_feeds_remove)
    admin.register_feeds(sub)


def _add_channels(commands: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    channels = add("channels", cmd_channels_list, "manage target channels")
    sub = channels.add_subparsers(dest="action", metavar="ACTION")
    add_channel = sub.add_parser("add", help="add a channel (@username or numeric id)")
    add_channel.add_argument("chat")
    add_channel.set_defaults(func=cmd_channels_add)
    sub.add_parser("list", help="list channels").set_defaults(func=cmd_channels_list)
    remove = sub.add_parser("remove", help="stop posting to a channel")
    remove.add_argument("chat")
    remove.set_defaults(func=cmd_channels_remove)


def chat_ref(value: str) -> int | str:
    try:
        return parse_chat_ref(value)
    except ValueError as exc:
        raise UsageError(f"CHAT: {exc}") from None


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run_until_stopped
    from bot.cli.sentences import run_sentence

    token = settings.require_token()
    if args.webhook:
        settings = settings.with_webhook(args.webhook)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    stats = await run_until_stopped(settings, token, stop)
    print(run_sentence(stats))
    return 0


async def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import NewsBot, open_services
    from bot.cli.sentences import poll_sentence
    from bot.newsroom.alerts import check_alerts
    from bot.scheduler import poll_all
    from storage.feeds import list_feeds

    token = settings.require_token()
    async with open_services(settings) as services:
        newsbot = NewsBot(services, token, receive_updates=False)
        await newsbot.application.initialize()
        try:
            await newsbot.worker.recover()
            results = await poll_all(services)
            report = await newsbot.worker.drain()
            await check_alerts(newsbot.application.bot, services)
        finally:
            await newsbot.application.shutdown()
        async with services.sessions() as session:
            urls = {feed.id: feed.url for feed in await list_feeds(session)}
    for result in results:
        url = urls.get(result.feed_id, "")
        line = f"feed {result.feed_id} {url}: {plural(len(result.posts), 'new article')}"
        print(line + (f" (failed: {one_line(result.error)})" if result.error else ""))
    print(poll_sentence(results, urls, report))
    return 1 if any(r.status == "error" for r in results) else 0


async def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.check import cmd_check as check

    return await check(args, settings)


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.demo import run_demo

    # The demo's output is the transcript; routine INFO lines would bury it.
    if settings.log_level in ("DEBUG", "INFO"):
        configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)
    return await run_demo()


async def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.preview import format_preview, preview_feed

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    items = await preview_feed(args.source, settings, limit=args.limit)
    print(format_preview(items))
    if items:
        print(f"rendered {plural(len(items), 'post')} of {args.source}; nothing was sent")
    return 0


async def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import create_engine, current_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def cmd_feeds_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from storage.chats import ensure_channel
    from storage.feeds import add_feed_channel, upsert_feed

    if not args.url.startswith(("http://", "https://")):
        raise UsageError(f"URL: {args.url!r} is not an http(s) URL")
    if args.interval < 1 or args.backfill < 0:
        raise UsageError("--interval must be at least 1 and --backfill at least 0")
    refs = [chat_ref(value) for value in args.channel]
    async with open_services(settings) as services, services.sessions.begin() as session:
        feed = await upsert_feed(
            session,
            url=args.url,
            name=args.name,
            topic=args.topic,
            interval=args.interval,
            backfill=args.backfill,
            origin="admin",
        )
        for ref in refs:
            await add_feed_channel(session, feed, await ensure_channel(session, ref))
        print(f"added feed {feed.id}: {feed.url}")
    return 0


async def cmd_feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from storage.feeds import feed_channels, list_feeds

    async with open_services(settings) as services, services.sessions() as session:
        feeds = await list_feeds(session)
        if not feeds:
            print("no feeds")
        for feed in feeds:
            chats = [_chat_label(c) for c in await feed_channels(session, feed.id)]
            state = "enabled" if feed.enabled else "disabled"
            health = f"errors={feed.error_count}" + (
                f" last_error={feed.last_error!r}" if feed.last_error else ""
            )
            name = feed.name or feed.title or "-"
            print(
                f"{feed.id}\t{feed.url}\t{name}\ttopic={feed.topic or '-'}"
                f"\t{state}\tchannels={','.join(chats) or '-'}\t{health}"
            )
    return 0


async def cmd_feeds_remove(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from storage.feeds import remove_feed

    async with open_services(settings) as services, services.sessions.begin() as session:
        if not await remove_feed(session, args.id):
            print(f"newsbot: no feed with id {args.id}", file=sys.stderr)
            return 1
    print(f"feed {args.id} removed")
    return 0


async def cmd_channels_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from storage.chats import ensure_channel

    ref = chat_ref(args.chat)
    async with open_services(settings) as services, services.sessions.begin() as session:
        chat = await ensure_channel(session, ref)
        print(f"channel {_chat_label(chat)} added")
    return 0


async def cmd_channels_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from storage.chats import list_channels

    async with open_services(settings) as services, services.sessions() as session:
        channels = await list_channels(session)
        if not channels:
            print("no channels")
        for chat in channels:
            print(f"{_chat_label(chat)}\t{chat.title or '-'}\t{chat.status}")
    return 0


async def cmd_channels_remove(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from storage.chats import untarget_channel

    ref = chat_ref(args.chat)
    async with open_services(settings) as services, services.sessions.begin() as session:
        if await untarget_channel(session, ref) is None:
            print(f"newsbot: no channel {args.chat}", file=sys.stderr)
            return 1
    print(f"channel {args.chat} removed")
    return 0


def _chat_label(chat: Any) -> str:
    return f"@{chat.username}" if chat.username else str(chat.telegram_id)
