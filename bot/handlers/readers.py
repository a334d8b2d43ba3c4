"""Handlers for readers. (Stub: the readers feature fills it in.)"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

COMMANDS: tuple[tuple[str, str], ...] = ()  # (command, description msgid) shown by /help


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this audience's handlers to group 0."""


def register_fallback(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The catch-all for unknown commands and plain text, registered last."""
