"""Settings: the file, the environment over it, and errors that name the culprit."""

from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(None, {})
    assert settings.api_url == "https://api.telegram.org"
    assert settings.database_url == "sqlite+aiosqlite:///newsbot.db"
    assert settings.delivery.rate == 25
    assert settings.bot_token is None


def test_the_contract_file_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
admins = [111]
editors = [222]
[delivery]
rate = 25
paid_broadcast = false
[[feeds]]
url = "https://example.kz/rss"
name = "Example News"
topic = "politics"
channels = ["@example_news"]
interval = 120
backfill = 0
""",
    )
    settings = load_settings(path, {})
    assert settings.admins == (111,) and settings.editors == (222,)
    feed = settings.feeds[0]
    assert (feed.url, feed.topic, feed.channels, feed.interval) == (
        "https://example.kz/rss",
        "politics",
        ("@example_news",),
        120,
    )


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'api_url = "http://file.example"\nadmins = [1]\n')
    env = {
        "NEWSBOT_API_URL": "http://127.0.0.1:9/",
        "NEWSBOT_ADMINS": "2, 3",
        "NEWSBOT_EDITORS": "4",
        "TELEGRAM_BOT_TOKEN": "1:abc",
        "NEWSBOT_ALLOW_PRIVATE_FETCH": "true",
    }
    settings = load_settings(path, env)
    assert settings.api_url == "http://127.0.0.1:9"
    assert settings.admins == (1, 2, 3) and settings.editors == (4,)
    assert settings.require_token() == "1:abc"
    assert settings.allow_private_fetch is True


def test_the_token_is_secret_in_reprs() -> None:
    settings = load_settings(None, {"TELEGRAM_BOT_TOKEN": "123456:SECRETSECRETSECRET"})
    assert "SECRETSECRET" not in repr(settings) and "SECRETSECRET" not in str(settings)


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "admins = [1]\n[delivery\nrate = 3\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path, {})
    assert str(path) in str(caught.value) and "line 2" in str(caught.value)


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[delivery]\nrat = 3\n")
    with pytest.raises(SettingsError, match=r"unknown key 'delivery\.rat'"):
        load_settings(path, {})


def test_a_bad_value_is_named_with_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[[feeds]]\nurl = "ftp://x"\n')
    with pytest.raises(SettingsError, match=r"feeds\.0\.url"):
        load_settings(path, {})


def test_a_bad_channel_reference_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[[feeds]]\nurl = "https://x.kz/rss"\nchannels = ["news"]\n')
    with pytest.raises(SettingsError, match="channels"):
        load_settings(path, {})


def test_a_bad_id_list_in_the_environment_is_named() -> None:
    with pytest.raises(SettingsError, match="NEWSBOT_ADMINS"):
        load_settings(None, {"NEWSBOT_ADMINS": "12,abc"})


def test_an_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no such settings file"):
        load_settings(tmp_path / "missing.toml", {})


def test_no_token_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(None, {}).require_token()
