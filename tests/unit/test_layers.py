"""The house rules: a one-way flow, no import cycles, no module over 400 lines (migrations aside).

config <- storage <- feeds/articles/render <- delivery <- newsroom <- handlers <- app/cli

``bot.telemetry`` (the Prometheus counters) is a leaf every layer may count into;
``bot.ops`` (health, metrics, the webhook) sits beside the scheduler, below app/cli.

``bot.sandbox`` (the Bot API emulator and feed server) stands apart: it imports
nothing of the product, so the tests it serves cannot lean on the code under test.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "storage", "bot", "bench")
MAX_LINES = 400

ABOVE_DELIVERY = ("bot.newsroom", "bot.handlers", "bot.scheduler", "bot.ops", "bot.app", "bot.cli")
ABOVE_CONTENT = ("bot.delivery", *ABOVE_DELIVERY)

# package prefix -> prefixes it must never import
FORBIDDEN = {
    "config": ("storage", "bot"),
    "storage": ("bot",),
    "bot.i18n": ("storage", "telegram", "bot.feeds", "bot.articles", "bot.render", *ABOVE_CONTENT),
    "bot.feeds": (*ABOVE_CONTENT, "bot.sandbox"),
    "bot.articles": (*ABOVE_CONTENT, "bot.sandbox"),
    "bot.render": ("telegram", "storage", *ABOVE_CONTENT, "bot.sandbox"),
    "bot.delivery": (*ABOVE_DELIVERY, "bot.sandbox"),
    "bot.newsroom": (
        "bot.handlers",
        "bot.scheduler",
        "bot.ops",
        "bot.app",
        "bot.cli",
        "bot.sandbox",
    ),
    "bot.handlers": ("bot.scheduler", "bot.ops", "bot.app", "bot.cli", "bot.sandbox"),
    "bot.scheduler": ("bot.handlers", "bot.ops", "bot.app", "bot.cli", "bot.sandbox"),
    # The operator's HTTP endpoint and the webhook: served by the composition root.
    "bot.ops": ("bot.handlers", "bot.scheduler", "bot.app", "bot.cli", "bot.sandbox"),
    # Counters every layer may count into: a leaf.
    "bot.telemetry": ("config", "storage", "bot", "telegram"),
    "bot.sandbox": (
        "config",
        "storage",
        "bot.i18n",
        "bot.feeds",
        "bot.articles",
        "bot.render",
        "bot.telemetry",
        *ABOVE_CONTENT,
    ),
}


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


@cache
def imports(path: Path) -> frozenset[str]:
    """Every module ``path`` names in an import, at any depth (functions and TYPE_CHECKING too).

    ``from package import name`` counts as importing ``package.name`` when that is a module.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in modules()
            )
    return frozenset(names)


def matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def project_imports(module: str) -> set[str]:
    """The project's modules that ``module`` imports, less the packages it lives in."""
    known = modules()
    return {
        name
        for name in imports(known[module])
        if name in known and not matches(module, name) and name != module
    }


def import_graph() -> dict[str, set[str]]:
    return {module: project_imports(module) for module in modules()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of more than one module that import each other round a loop (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


@pytest.mark.parametrize("module", sorted(modules()))
def test_module_imports_only_downstream(module: str) -> None:
    rules = [bad for layer, bad in FORBIDDEN.items() if matches(module, layer)]
    wrong = sorted(
        name
        for name in imports(modules()[module])
        for bad in rules
        for prefix in bad
        if matches(name, prefix)
    )
    assert not wrong, f"{module} imports {wrong}, against the one-way flow"


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == [], "modules that import each other, directly or round a loop"


SIZED = sorted(name for name, path in modules().items() if "migrations" not in path.parts)


@pytest.mark.parametrize("module", SIZED)
def test_module_is_at_most_400_lines(module: str) -> None:
    lines = len(modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it along a seam"


def test_the_cycle_finder_finds_loops_and_only_loops() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}, "g": set()}
    assert cycles(graph) == [["a", "b", "c"], ["e", "f"]]
