"""The one-way flow.

config <- storage <- feeds/articles/render <- delivery <- handlers <- app/cli
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package prefix -> prefixes it must never import
FORBIDDEN = {
    "config": ("storage", "bot"),
    "storage": ("bot",),
    "bot.feeds": ("bot.delivery", "bot.handlers", "bot.app", "bot.cli", "bot.sandbox"),
    "bot.articles": ("bot.delivery", "bot.handlers", "bot.app", "bot.cli", "bot.sandbox"),
    "bot.render": ("telegram", "storage", "bot.delivery", "bot.handlers", "bot.app", "bot.sandbox"),
    "bot.delivery": ("bot.handlers", "bot.app", "bot.cli", "bot.sandbox"),
    "bot.handlers": ("bot.app", "bot.cli", "bot.sandbox"),
}


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("config", "storage", "bot"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found.append((name.removesuffix(".__init__"), path))
    return found


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda value: str(value))
def test_module_imports_only_downstream(module: str, path: Path) -> None:
    rules = [bad for layer, bad in FORBIDDEN.items() if matches(module, layer)]
    wrong = sorted(
        name for name in imports(path) for bad in rules for prefix in bad if matches(name, prefix)
    )
    assert not wrong, f"{module} imports {wrong}, against the one-way flow"
