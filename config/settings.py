"""Typed settings: a TOML file, overridden by environment variables.

Loaded once by the composition root (``bot.app``) or the CLI and passed down;
nothing imports a global settings object. A bad file or value raises
:class:`SettingsError`, whose message names the file, line or key, and the CLI
turns it into exit code 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

DEFAULT_CONFIG_PATH = Path("config/newsbot.toml")
DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///newsbot.db"

Language = Literal["en", "ru", "kk"]


class SettingsError(Exception):
    """The settings cannot be used; the message names what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedSettings(_Strict):
    """One feed from the settings file."""

    url: str
    name: str | None = None
    topic: str | None = None
    channels: tuple[str, ...] = ()
    interval: int = Field(default=300, ge=1)
    backfill: int = Field(default=0, ge=0)
    # The feed's edition; None: the feed's own <language>, else [post] language.
    language: Language | None = None
    # An entry's own <category> -> topic slug; an entry with none of them gets ``topic``.
    topics: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("channels")
    @classmethod
    def _chats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for chat in value:
            parse_chat_ref(chat)
        return value


class TopicSettings(_Strict):
    """A topic's display name in each language (``[topics.economy] ru = "Экономика"``)."""

    en: str | None = None
    ru: str | None = None
    kk: str | None = None


class DeliverySettings(_Strict):
    """How fast and how persistently posts are sent."""

    rate: float = Field(default=25.0, gt=0, le=1000)
    paid_broadcast: bool = False
    max_attempts: int = Field(default=8, ge=1)
    batch_size: int = Field(default=200, ge=1)
    concurrency: int = Field(default=64, ge=1)
    backoff_base: float = Field(default=1.0, gt=0)
    backoff_max: float = Field(default=600.0, gt=0)


class PollingSettings(_Strict):
    """How feeds and pages are fetched."""

    tick: float = Field(default=5.0, gt=0)
    timeout: float = Field(default=20.0, gt=0)
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0)
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot; Telegram news bot)"
    max_backoff: int = Field(default=6 * 3600, ge=1)
    fetch_pages: bool = True


class PostSettings(_Strict):
    """How a post looks."""

    summary_sentences: int = Field(default=3, ge=1, le=10)
    language: Language = "en"
    read_more_button: bool = True
    # Edit every sent copy when the article changes at the source (within Telegram's 48 h).
    follow_updates: bool = True


class BreakingSettings(_Strict):
    """Breaking news by editors."""

    preview_ttl: int = Field(default=900, ge=10)


class AlertSettings(_Strict):
    """When admins are told that something is wrong."""

    feed_failing_after: int = Field(default=1800, ge=0)


# Telegram's rule for a webhook's secret token (setWebhook): 1-256 of these.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a host and a port."""
    host, sep, port = str(value).strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT")
    return host, int(port)


class TelegramSettings(_Strict):
    """How updates reach the bot: long polling, or a webhook when ``webhook_url`` is set."""

    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0:8443"
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; generated at start when absent.
    webhook_secret: SecretStr | None = None

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Telegram calls webhooks over HTTPS only)")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value


class OpsSettings(_Strict):
    """The operator's HTTP endpoint (/healthz, /metrics); off unless ``listen`` is set."""

    listen: str | None = None
    # /healthz answers 503 when no feed was polled successfully for this long...
    poll_stale_after: int = Field(default=1800, ge=1)
    # ... or when a delivery has waited in the queue this long.
    queue_stale_after: int = Field(default=3600, ge=1)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value


class Settings(_Strict):
    """Everything the bot needs, validated once at start."""

    bot_token: SecretStr | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    log_level: str = "INFO"
    allow_private_fetch: bool = False
    admins: tuple[int, ...] = ()
    editors: tuple[int, ...] = ()
    delivery: DeliverySettings = DeliverySettings()
    polling: PollingSettings = PollingSettings()
    post: PostSettings = PostSettings()
    breaking: BreakingSettings = BreakingSettings()
    alerts: AlertSettings = AlertSettings()
    telegram: TelegramSettings = TelegramSettings()
    ops: OpsSettings = OpsSettings()
    feeds: tuple[FeedSettings, ...] = ()
    channels: tuple[str, ...] = ()
    topics: dict[str, TopicSettings] = {}
    source: str = "(defaults)"

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("channels")
    @classmethod
    def _chats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for chat in value:
            parse_chat_ref(chat)
        return value

    def with_webhook(self, url: str) -> Settings:
        """These settings, receiving updates by webhook at ``url`` (``run --webhook``)."""
        try:
            telegram = TelegramSettings.model_validate(
                {**self.telegram.model_dump(), "webhook_url": url}
            )
        except ValidationError as exc:
            raise SettingsError(f"--webhook: {exc.errors()[0]['msg']}") from None
        return self.model_copy(update={"telegram": telegram})

    def require_token(self) -> str:
        """The bot token, or a SettingsError naming the variable to set."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError("no bot token: set TELEGRAM_BOT_TOKEN (or bot_token in the file)")
        return self.bot_token.get_secret_value().strip()


def parse_chat_ref(value: str) -> int | str:
    """A chat as the settings name it: ``@username`` or a numeric id."""
    text = str(value).strip()
    if text.startswith("@") and len(text) > 1:
        return text
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{value!r} is neither @username nor a numeric chat id") from None


_ENV_SCALARS = {
    "TELEGRAM_BOT_TOKEN": "bot_token",
    "NEWSBOT_API_URL": "api_url",
    "NEWSBOT_DATABASE_URL": "database_url",
    "NEWSBOT_LOG_LEVEL": "log_level",
    "NEWSBOT_ALLOW_PRIVATE_FETCH": "allow_private_fetch",
}
# Keys of a section, for containers that configure by environment.
_ENV_SECTION_KEYS = {
    "NEWSBOT_OPS_LISTEN": ("ops", "listen"),
    "NEWSBOT_WEBHOOK_URL": ("telegram", "webhook_url"),
    "NEWSBOT_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
}
_ENV_ID_LISTS = {"NEWSBOT_ADMINS": "admins", "NEWSBOT_EDITORS": "editors"}


def config_path(explicit: str | Path | None, environ: Mapping[str, str]) -> Path:
    """Which settings file to read: ``--config``, then NEWSBOT_CONFIG, then the default."""
    if explicit:
        return Path(explicit)
    return Path(environ.get("NEWSBOT_CONFIG") or DEFAULT_CONFIG_PATH)


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the file (if any), apply the environment, validate."""
    env = os.environ if environ is None else environ
    file = config_path(path, env)
    explicit = path is not None or bool(env.get("NEWSBOT_CONFIG"))
    data = _read_toml(file, required=explicit)
    data["source"] = str(file) if file.exists() else "(defaults)"
    for var, key in _ENV_SCALARS.items():
        if env.get(var, "").strip():
            data[key] = env[var].strip()
    for var, (section, key) in _ENV_SECTION_KEYS.items():
        if env.get(var, "").strip():
            data[section] = {**data.get(section, {}), key: env[var].strip()}
    for var, key in _ENV_ID_LISTS.items():
        extra = _id_list(var, env.get(var, ""))
        data[key] = tuple(dict.fromkeys([*data.get(key, ()), *extra]))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_describe(file, exc)) from None


def _read_toml(file: Path, *, required: bool) -> dict[str, Any]:
    if not file.exists():
        if required:
            raise SettingsError(f"{file}: no such settings file")
        return {}
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message carries "(at line N, column M)".
        raise SettingsError(f"{file}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise SettingsError(f"{file}: cannot read: {exc.strerror}") from None


def _id_list(var: str, raw: str) -> list[int]:
    ids: list[int] = []
    for part in raw.split(","):
        if part.strip():
            try:
                ids.append(int(part.strip()))
            except ValueError:
                raise SettingsError(f"{var}: {part.strip()!r} is not a Telegram user id") from None
    return ids


def _describe(file: Path, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown key {key!r}")
        else:
            problems.append(f"{key}: {error['msg']}")
    where = str(file) if file.exists() else "settings"
    return f"{where}: " + "; ".join(problems)
