"""Topic names: what a topic slug is called in each language, and which slug a name means.

The settings' ``[topics.<slug>]`` tables give the names; a topic with none is
called by its slug. Kept beside the settings because every layer shows topics
(posts' hashtags, the readers' buttons and replies, /stats) and all must agree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import get_args

from config.settings import Language, TopicSettings


def fold_name(text: str) -> str:
    """A name as compared (a topic typed by a reader, a category): case and spaces do not count."""
    return "".join(text.split()).casefold()


@dataclass(frozen=True)
class TopicNames:
    """The display names of topics, by slug."""

    names: Mapping[str, TopicSettings] = field(default_factory=dict)

    def name(self, slug: str, language: str | None) -> str:
        """``slug`` as a reader of ``language`` reads it; the slug itself when it has no name."""
        names = self.names.get(slug)
        if names is None or language not in get_args(Language):
            return slug
        return getattr(names, str(language)) or slug

    def spellings(self, slug: str) -> set[str]:
        """Every way to name ``slug``: itself and its name in each language, folded."""
        names = self.names.get(slug)
        found = {slug} if names is None else {slug, names.en or "", names.ru or "", names.kk or ""}
        return {fold_name(name) for name in found if name}

    def find(self, text: str, known: Collection[str]) -> str | None:
        """The known slug ``text`` names (slug or a name in any language), or None."""
        wanted = fold_name(text)
        return next((slug for slug in known if wanted in self.spellings(slug)), None)


NO_NAMES = TopicNames()  # every topic called by its slug
