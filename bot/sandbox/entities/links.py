"""The URL Telegram stores for a text link, or None when it drops the link."""

from __future__ import annotations

import re

__all__ = ["normalize_url"]

_BARE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d{1,5})?$")
_URL_PARTS = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>[^/?#]*)(?P<rest>.*)$", re.DOTALL
)


def normalize_url(url: str) -> str | None:
    """The URL of a text link as Telegram stores it, or None when Telegram would drop it.

    A bare host gets ``http://``, and an empty path becomes ``/``
    (``telegram.org`` -> ``http://telegram.org/``).
    """
    if not url or any(ch.isspace() for ch in url):
        return None
    match = _URL_PARTS.match(url)
    if match is None:
        return None
    scheme, host, rest = match.group("scheme"), match.group("host"), match.group("rest")
    if scheme is None:
        if not _BARE_HOST.match(host):
            return None
        scheme = "http"
    scheme = scheme.lower()
    if scheme in ("tg", "ton"):
        return url
    if scheme not in ("http", "https") or not host:
        return None
    if not rest.startswith("/"):
        rest = "/" + rest
    return f"{scheme}://{host}{rest}"
