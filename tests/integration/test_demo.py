"""``newsbot demo``, run as a new user runs it: offline, on SQLite, exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_prints_what_each_chat_received(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "TELEGRAM_"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    assert "@elkz_demo (id -1001000000001): 3 message(s)" in out
    for reader in ("Aigerim", "Dmitry", "Sarah"):
        assert f'private chat with "{reader}"' in out
    assert "48th UPR session in Geneva" in out
    assert "Photo: Ministry of Justice of Kazakhstan" in out
    assert "Дереккөз: El.kz" in out and "Источник: El.kz" in out  # fixed words per language
    assert "522.42" not in out and "Subscribe to our Telegram" not in out  # no page chrome
    assert not list(tmp_path.iterdir()), "the demo leaves nothing behind"
