"""The health verdict, one rule each; the listen addresses and webhook settings; the counters'
registry per bot."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import telemetry
from bot.ops.health import judge, unreachable
from config.settings import OpsSettings, Settings, SettingsError, load_settings, parse_listen
from storage.health import Vitals

NOW = datetime(2025, 3, 1, 12, 0, 0)
OPS = OpsSettings(poll_stale_after=600, queue_stale_after=3600)


def vitals(**values: object) -> Vitals:
    base: dict[str, object] = {
        "queue_depth": 0,
        "oldest_pending_at": None,
        "enabled_feeds": 1,
        "last_poll_at": NOW - timedelta(seconds=30),
    }
    base.update(values)
    return Vitals(**base)  # type: ignore[arg-type]


def test_a_recent_poll_and_an_empty_queue_are_healthy() -> None:
    health = judge(vitals(), NOW, OPS)
    assert health.healthy
    assert health.details["last_poll_age_seconds"] == 30


def test_a_poll_older_than_poll_stale_after_is_unhealthy() -> None:
    health = judge(vitals(last_poll_at=NOW - timedelta(seconds=601)), NOW, OPS)
    assert health.reasons == ("last successful feed poll 601s ago (over poll_stale_after=600s)",)


def test_feeds_never_polled_successfully_are_unhealthy() -> None:
    assert judge(vitals(last_poll_at=None), NOW, OPS).reasons == (
        "no feed has been polled successfully yet",
    )


def test_without_enabled_feeds_the_poll_age_does_not_matter() -> None:
    assert judge(vitals(enabled_feeds=0, last_poll_at=None), NOW, OPS).healthy
    old = NOW - timedelta(days=3)
    assert judge(vitals(enabled_feeds=0, last_poll_at=old), NOW, OPS).healthy


def test_a_delivery_waiting_longer_than_queue_stale_after_is_unhealthy() -> None:
    health = judge(vitals(queue_depth=5, oldest_pending_at=NOW - timedelta(hours=2)), NOW, OPS)
    assert health.reasons == (
        "oldest queued delivery waiting 7200s (over queue_stale_after=3600s)",
    )
    assert health.details["queue_depth"] == 5


def test_a_deep_but_moving_queue_is_healthy() -> None:
    fresh = NOW - timedelta(seconds=10)
    assert judge(vitals(queue_depth=50_000, oldest_pending_at=fresh), NOW, OPS).healthy


def test_an_unreachable_database_is_the_reason() -> None:
    health = unreachable(ConnectionRefusedError("connection refused"))
    assert health.reasons == ("database unreachable: ConnectionRefusedError: connection refused",)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("127.0.0.1:9108", ("127.0.0.1", 9108)), ("[::1]:8443", ("::1", 8443)), ("h:0", ("h", 0))],
)
def test_listen_is_host_and_port(text: str, parsed: tuple[str, int]) -> None:
    assert parse_listen(text) == parsed


@pytest.mark.parametrize("text", ["9108", ":9108", "host:", "host:http", "host:70000"])
def test_a_listen_without_host_and_port_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen(text)


def test_webhook_settings_are_validated_with_the_key_name() -> None:
    with pytest.raises(ValueError, match="https://"):
        Settings.model_validate({"telegram": {"webhook_url": "http://a.kz/hook"}})
    with pytest.raises(ValueError, match="A-Z, a-z, 0-9"):
        Settings.model_validate({"telegram": {"webhook_secret": "has space"}})
    with pytest.raises(ValueError, match="HOST:PORT"):
        Settings.model_validate({"ops": {"listen": "9108"}})


def test_with_webhook_sets_the_url_or_names_the_option() -> None:
    assert Settings().with_webhook("https://a.kz/h").telegram.webhook_url == "https://a.kz/h"
    with pytest.raises(SettingsError, match=r"^--webhook: "):
        Settings().with_webhook("ftp://a.kz/h")


def test_each_installed_telemetry_counts_from_zero() -> None:
    first = telemetry.install()
    telemetry.count_delivery("sent")
    second = telemetry.install()
    telemetry.count_delivery("sent")
    telemetry.count_delivery("sent")
    assert first.value("newsbot_deliveries_total", outcome="sent", reason="") == 1
    assert second.value("newsbot_deliveries_total", outcome="sent", reason="") == 2
    assert telemetry.current() is second


def test_the_environment_sets_the_endpoint_and_the_webhook(tmp_path: Path) -> None:
    environ = {
        "NEWSBOT_CONFIG": str(tmp_path / "none.toml"),
        "NEWSBOT_OPS_LISTEN": "0.0.0.0:9108",
        "NEWSBOT_WEBHOOK_URL": "https://a.kz/hook",
        "NEWSBOT_WEBHOOK_SECRET": "from-env",
    }
    (tmp_path / "none.toml").write_text('[telegram]\nwebhook_listen = "0.0.0.0:9000"\n')
    settings = load_settings(environ=environ)
    assert settings.ops.listen == "0.0.0.0:9108"
    assert settings.telegram.webhook_url == "https://a.kz/hook"
    assert settings.telegram.webhook_listen == "0.0.0.0:9000"
    assert settings.telegram.webhook_secret is not None
    assert settings.telegram.webhook_secret.get_secret_value() == "from-env"
