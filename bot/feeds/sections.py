"""Which edition a feed is and which topic an entry belongs to. Pure: values in, values out.

An outlet publishes the same news in several editions (en, ru, kk), one feed
each, and files its entries by section with ``<category>``; these rules turn
that into the edition and the topic a post carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.i18n import LANGUAGES as EDITIONS
from config.topics import fold_name


def edition_of(pinned: str | None, declared: str | None, fallback: str) -> str:
    """The feed's edition: set in the settings, else the feed's own <language>, else the default.

    A declared language counts by its base (``ru-RU`` is ``ru``) and only when
    it is an edition the bot speaks.
    """
    if pinned:
        return pinned
    base = (declared or "").replace("_", "-").split("-")[0].lower()
    return base if base in EDITIONS else fallback


def topic_of(
    categories: Sequence[str], topic_map: Mapping[str, str] | None, feed_topic: str | None
) -> str | None:
    """The entry's topic: its first category the feed maps (any case, spacing), else the feed's."""
    for category in categories:
        slug = (topic_map or {}).get(fold_name(category))
        if slug:
            return slug
    return feed_topic or None
