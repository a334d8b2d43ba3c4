"""The one table from a Telegram answer to what delivery does next. Pure: no I/O.

``classify(exc)`` reads an exception raised by python-telegram-bot and says
which action to take; the worker carries it out. Error descriptions are
matched case-insensitively by substring, because PTB capitalises them and
strips the "Bad Request: " prefix.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)


class Action(enum.Enum):
    WAIT_AND_RETRY = "wait_and_retry"  # 429: every sender pauses retry_after, the row is retried
    RETRY = "retry"  # transient: backoff with jitter, up to max_attempts
    CHAT_GONE = "chat_gone"  # blocked, deactivated, kicked, not a member: stop targeting the chat
    MIGRATED = "migrated"  # group became a supergroup: move the chat to the new id, resend
    PHOTO_REFUSED = "photo_refused"  # Telegram would not take the photo: upload it, or send text
    FAILED = "failed"  # permanent: the description is stored on the delivery
    HALT = (
        "halt"  # the bot itself is unusable (token, endpoint): pause everything, no attempt spent
    )


@dataclass(frozen=True)
class Outcome:
    """What a failed send means."""

    action: Action
    detail: str
    retry_after: float | None = None
    new_chat_id: int | None = None


# Forbidden descriptions that mean the chat is out of reach for good.
CHAT_GONE_MARKERS = (
    "bot was blocked by the user",
    "user is deactivated",
    "bot was kicked",
    "bot can't initiate conversation",
    "bot is not a member",
    "chat was deleted",
    "bot can't send messages to bots",
)

# BadRequest descriptions that blame the photo, not the post or the chat.
PHOTO_MARKERS = (
    "wrong type of the web page content",
    "failed to get http url content",
    "wrong file identifier",
    "photo_invalid_dimensions",
    "image_process_failed",
    "photo_ext_invalid",
    "photo_save_file_invalid",
    "photo_content_url_empty",
    "photo_content_type_invalid",
    "file is too big",
    "too big",
    "wrong remote file identifier",
    "invalid file http url",
)

# How long the whole sender holds back when the bot itself is rejected.
HALT_SECONDS = 60.0


def classify(exc: BaseException) -> Outcome:
    """Map an exception from a send to the action to take."""
    text = str(getattr(exc, "message", "") or exc)
    lowered = text.lower()
    if isinstance(exc, RetryAfter):
        return Outcome(Action.WAIT_AND_RETRY, text, retry_after=_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return Outcome(Action.MIGRATED, text, new_chat_id=int(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        if any(marker in lowered for marker in CHAT_GONE_MARKERS):
            return Outcome(Action.CHAT_GONE, text)
        return Outcome(Action.FAILED, text)  # e.g. no right to post photos in this group
    if isinstance(exc, InvalidToken | EndPointNotFound | Conflict):
        return Outcome(Action.HALT, text, retry_after=HALT_SECONDS)
    if isinstance(exc, TimedOut):
        return Outcome(Action.RETRY, text or "timed out")
    if isinstance(exc, BadRequest):
        if any(marker in lowered for marker in PHOTO_MARKERS):
            return Outcome(Action.PHOTO_REFUSED, text)
        return Outcome(Action.FAILED, text)
    if isinstance(exc, NetworkError | TelegramError):
        # 5xx (PTB raises NetworkError for them), connection resets, and the rest.
        return Outcome(Action.RETRY, text or type(exc).__name__)
    return Outcome(Action.RETRY, f"{type(exc).__name__}: {text}")


def _seconds(exc: RetryAfter) -> float:
    # The private attribute is a timedelta in PTB 22; the public property warns
    # (PTBDeprecationWarning) unless PTB_TIMEDELTA is set, so read the value directly.
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return 1.0


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: a validated value object.

    Attempt ``n`` (1-based) waits ``min(max_delay, base * factor**(n-1))``,
    spread by ±``jitter`` (a fraction) so retries from many chats do not land
    on Telegram at the same instant.
    """

    base: float = 1.0
    max_delay: float = 600.0
    factor: float = 2.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.base <= 0:
            raise ValueError("base must be > 0")
        if self.max_delay < self.base:
            raise ValueError("max_delay must be >= base")
        if self.factor < 1:
            raise ValueError("factor must be >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before the attempt after failed attempt number ``attempt``."""
        if attempt < 1:
            raise ValueError("attempt is 1-based")
        exponent = min(attempt - 1, 64)  # no float overflow for silly attempt counts
        plain = min(self.max_delay, self.base * self.factor**exponent)
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, plain * (1 + spread))
