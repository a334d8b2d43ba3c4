"""Handlers for admins. (Stub: the admins feature fills it in.)"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

COMMANDS: tuple[tuple[str, str], ...] = ()  # (command, description msgid) shown by /help


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this audience's handlers to group 0."""
