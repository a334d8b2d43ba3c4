"""Admin commands of the CLI: ``stats [--json]``, ``editors list|add|remove`` and
``feeds import FILE.opml`` / ``feeds export``, over the same services as Telegram's."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from config.settings import Settings


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add top-level admin commands with ``add(name, func, help)``."""
    stats = add("stats", cmd_stats, "the same figures as the admin's /stats")
    stats.add_argument("--json", action="store_true", help="stable JSON (docs/stats-json.md)")
    editors = add("editors", cmd_editors_list, "manage editors (who may send breaking news)")
    sub = editors.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list editors").set_defaults(func=cmd_editors_list)
    grant = sub.add_parser("add", help="make a Telegram user an editor")
    grant.add_argument("user_id", metavar="USER_ID")
    grant.set_defaults(func=cmd_editors_add)
    revoke = sub.add_parser("remove", help="remove an editor")
    revoke.add_argument("user_id", metavar="USER_ID")
    revoke.set_defaults(func=cmd_editors_remove)


def register_feeds(feeds_subparsers: Any) -> None:
    """Add ``feeds`` sub-actions (import, export)."""
    imported = feeds_subparsers.add_parser(
        "import", help="add the feeds of an OPML file; each is fetched once first"
    )
    imported.add_argument("file", metavar="FILE.opml")
    imported.set_defaults(func=cmd_feeds_import)
    exported = feeds_subparsers.add_parser("export", help="write the feeds as OPML")
    exported.add_argument("--output", "-o", metavar="FILE", help="a file (default: stdout)")
    exported.set_defaults(func=cmd_feeds_export)


def _usage(message: str) -> int:
    print(f"newsbot: {message}", file=sys.stderr)
    return 2


async def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from bot.newsroom.stats.collect import collect_stats
    from bot.newsroom.stats.exports import stats_json
    from bot.newsroom.stats.message import format_stats
    from config.topics import TopicNames

    async with open_services(settings) as services:
        figures = await collect_stats(services.sessions)
    if args.json:
        print(json.dumps(stats_json(figures), indent=2, ensure_ascii=False))
    else:
        names = TopicNames(settings.topics)
        print(format_stats(figures, "en", as_html=False, names=names))
    return 0


async def cmd_editors_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from bot.newsroom.management import list_editors

    async with open_services(settings) as services:
        editors = await list_editors(services)
    if not editors:
        print("no editors")
    for editor in editors:
        print(f"{editor.user_id}\t{editor.source}")
    return 0


async def cmd_editors_add(args: argparse.Namespace, settings: Settings) -> int:
    return await _editor_change(args, settings, grant=True)


async def cmd_editors_remove(args: argparse.Namespace, settings: Settings) -> int:
    return await _editor_change(args, settings, grant=False)


async def _editor_change(args: argparse.Namespace, settings: Settings, *, grant: bool) -> int:
    from bot.app import open_services
    from bot.newsroom.management import add_editor, parse_id, remove_editor

    user_id = parse_id(args.user_id)
    if user_id is None:
        return _usage(f"USER_ID: {args.user_id!r} is not a Telegram user id (a positive number)")
    async with open_services(settings) as services:
        if grant:
            outcome = await add_editor(services, user_id, added_by=None)
        else:
            outcome = await remove_editor(services, user_id)
    print(outcome.text(), file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


async def cmd_feeds_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from bot.feeds.opml import OpmlError
    from bot.newsroom.management import import_opml

    path = Path(args.file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        return _usage(f"FILE: cannot read {path}: {exc.strerror}")
    bar = ProgressBar(sys.stdout)
    async with open_services(settings) as services:
        try:
            report = await import_opml(services, data, bar.update)
        except OpmlError as exc:
            return _usage(f"FILE: {path}: {exc}")
    bar.finish()
    for check in report.added:
        print(f"added\t{check.url}\t{check.title or '-'}\t{check.entries} entries")
    for url in report.existing:
        print(f"known\t{url}")
    for check in report.failed:
        print(f"failed\t{check.url}\t{check.error}")
    print(
        f"{report.total} feeds in the file: {len(report.added)} added, "
        f"{len(report.existing)} already known, {len(report.failed)} failed"
    )
    return 1 if report.failed else 0


async def cmd_feeds_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from bot.newsroom.management import export_opml

    async with open_services(settings) as services:
        data = await export_opml(services)
    if args.output:
        await asyncio.to_thread(Path(args.output).write_bytes, data)
        print(f"wrote the feeds as OPML to {args.output}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


class ProgressBar:
    """A bar redrawn in place on a terminal; plain lines when the output is a file or a pipe."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._drawn = False

    def update(self, done: int, total: int, url: str) -> None:
        if not self._tty:
            print(f"checked {done}/{total} {url}", file=self._stream, flush=True)
            return
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self._stream.write(f"\r[{bar}] {done}/{total} {url[:40]:<40}")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
