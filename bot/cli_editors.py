"""Editor commands of the CLI (audit log). (Stub: the editors feature fills it in.)"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add top-level editor commands with ``add(name, func, help)``."""
