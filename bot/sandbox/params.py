"""Typed access to Bot API parameters, however the client encoded them.

PTB sends JSON bodies, form-urlencoded bodies or multipart forms. In forms every
value is a string: numbers and booleans are their JSON text and nested values
(reply_markup, entities, allowed_updates, ...) are JSON documents, so each
getter here accepts both the typed JSON value and its string form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import ApiError

__all__ = ["Params", "UploadedFile"]


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class Params:
    values: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    # When the request reached the emulator (time.monotonic), before its latency is
    # played: the moment Telegram counts a message against the flood limits.
    arrived_at: float | None = None

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.files

    def text(self, name: str, *, required: bool = False, empty: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError.bad_request(empty or f"{name} is empty")
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError.bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(float(value)) if isinstance(value, float) else int(str(value).strip())
        except ValueError:
            raise ApiError.bad_request(f"invalid {name} specified") from None

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def parsed(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError.bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """An integer chat id, or an ``@username`` string."""
        value = self.values.get(name)
        if value is None or value == "":
            raise ApiError.bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            if text.startswith("@"):
                return text
            raise ApiError.bad_request("chat not found") from None
