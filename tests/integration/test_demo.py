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
    # Three editions' feeds polled: the channel gets all of them (3 en, 2 ru, 2 kk).
    assert "@elkz_demo (id -1001000000001): 7 message(s)" in out
    assert "Сенат одобрил поправки в Водный кодекс" in out  # the ru feed
    assert "Сенат Су кодексіне түзетулерді мақұлдады" in out  # the kk feed
    for reader in ("Aigerim", "Dmitry", "Sarah"):
        assert f'private chat with "{reader}"' in out
    assert "48th UPR session in Geneva" in out
    assert "Photo: Ministry of Justice of Kazakhstan" in out
    assert "Дереккөз: El.kz" in out and "Источник: El.kz" in out  # fixed words per language
    assert "522.42" not in out and "Subscribe to our Telegram" not in out  # no page chrome
    # The story corrected at the source is edited in every chat that received it, once.
    corrected = "Grain exports from Kazakhstan reach 9.4 million tonnes since the start"
    summary = out[out.index("=== the correction:") :]
    for chat in ("@elkz_demo", "Sarah"):
        assert f"{chat}: edited in place (1 edit)" in summary
    assert "reach 9 million tonnes" not in out
    assert (
        "#Economy" in chat_block(out, 'private chat with "Sarah"') and "#economy" not in out
    )  # names survive edits
    # Each reader gets their edition: the channel gets every feed's posts.
    editions = {
        "en": ("48th UPR session in Geneva", corrected),
        "ru": ("Сенат одобрил поправки в Водный кодекс",),
        "kk": ("Сенат Су кодексіне түзетулерді мақұлдады",),
    }
    for reader, edition in (("Aigerim", "kk"), ("Dmitry", "ru"), ("Sarah", "en")):
        received = chat_block(out, f'private chat with "{reader}"')
        for language, titles in editions.items():
            for title in titles:
                assert (title in received) == (language == edition), (reader, title)
    channel = chat_block(out, "@elkz_demo")
    assert all(title in channel for titles in editions.values() for title in titles)
    assert not list(tmp_path.iterdir()), "the demo leaves nothing behind"


def chat_block(transcript: str, label: str) -> str:
    """What one chat received, from its ``=== ... ===`` heading to the next."""
    start = transcript.index(label)
    end = transcript.find("\n=== ", start)
    return transcript[start : end if end != -1 else len(transcript)]
