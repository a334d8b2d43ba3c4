"""Logging for operators: key=value fields, and never the bot token."""

from __future__ import annotations

import logging
import re

# Bot API URLs carry the token (".../bot123:ABC/sendMessage"); any line that
# slips through from a library is scrubbed here as a last line of defence.
_TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{10,}")


class RedactTokens(logging.Filter):
    """Replace anything shaped like a bot token in a record with a placeholder."""

    def __init__(self, tokens: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._tokens = tuple(t for t in tokens if t)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True

    def scrub(self, text: str) -> str:
        for token in self._tokens:
            text = text.replace(token, "<token>")
        return _TOKEN_RE.sub("<token>", text)


def configure_logging(level: str, token: str | None = None) -> None:
    """Root logging to stderr; silence per-request logs that would print URLs."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens((token,) if token else ()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx and httpcore log every request URL at INFO/DEBUG, and Bot API
    # URLs contain the token; their records are not useful to an operator.
    for noisy in (
        "httpx",
        "httpcore",
        "apscheduler.executors",
        "aiohttp.access",
        "alembic.runtime.plugins",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
