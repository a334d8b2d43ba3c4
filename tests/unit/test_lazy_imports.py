"""Heavy libraries load when first needed, not when the bot starts (bench/startup.py
measures what that saves; this holds the behaviour)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "trafilatura", "numpy", "prometheus_client")


def loaded_after(statement: str) -> dict[str, bool]:
    """Which heavy modules a fresh interpreter holds after running ``statement``."""
    report = f"print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    probe = f"{statement}\nimport json, sys\n{report}"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, bool] = json.loads(result.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize("module", ["bot.app", "bot.cli.main", "bot.cli.check"])
def test_starting_the_bot_imports_no_heavy_library(module: str) -> None:
    assert loaded_after(f"import {module}") == dict.fromkeys(HEAVY, False)


def test_the_first_chart_and_the_first_page_bring_them_in() -> None:
    loaded = loaded_after(
        "from bot.newsroom.chart import render_chart\n"
        "from bot.articles.extract import extract_page\n"
        "render_chart([])\n"
        "extract_page(b'<html><body><p>Hello there.</p></body></html>', 'https://e.com/a')"
    )
    assert loaded["matplotlib"] and loaded["trafilatura"]


def test_the_operator_endpoint_brings_prometheus_client_in() -> None:
    assert loaded_after("import bot.ops.endpoint")["prometheus_client"]
