"""Editor commands of the CLI: ``newsbot audit [--limit N] [--json]``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from config.settings import Settings


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add top-level editor commands with ``add(name, func, help)``."""
    sub = add("audit", cmd_audit, "what editors did to breaking posts, newest first")
    sub.add_argument("--limit", type=int, default=20, help="how many entries (default 20)")
    sub.add_argument("--json", action="store_true", help="one JSON object per entry, as a list")


async def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_services
    from bot.cli.usage import UsageError
    from bot.newsroom.breaking.texts import audit_line
    from storage.audit import recent

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    async with open_services(settings) as services, services.sessions() as session:
        entries = await recent(session, args.limit)
    if args.json:
        rows = [
            {
                "at": entry.at.isoformat() + "Z",
                "action": entry.action,
                "user_id": entry.user_id,
                "post_id": entry.post_id,
                "chats": entry.chats,
                "detail": entry.detail,
            }
            for entry in entries
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print("the audit log is empty")
    for entry in entries:
        print(audit_line(entry))
    return 0
