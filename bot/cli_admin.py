"""Admin commands of the CLI (stats, editors, OPML). (Stub: the admins feature fills it in.)"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add top-level admin commands with ``add(name, func, help)``."""


def register_feeds(feeds_subparsers: Any) -> None:
    """Add ``feeds`` sub-actions (import, export)."""
