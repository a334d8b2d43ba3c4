"""What a post says, from the database rows it was made of. Pure: no I/O."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from bot.render.post import PostContent
from storage.models import Article, Feed, Post

_HAS_TEXT = any(f.name == "text" for f in fields(PostContent))


def post_content(post: Post, article: Article | None, feed: Feed | None) -> PostContent:
    """The renderable content of ``post``: an editor's breaking text, or an article."""
    if post.kind == "breaking" or article is None:
        # ``text`` is the editor's words, rendered literally (bot.render.post).
        # Until the posts work that adds ``PostContent.text`` is merged, the
        # words go in the summary: same words, rendered as plain text.
        extra: dict[str, Any] = (
            {"text": post.text or ""} if _HAS_TEXT else {"summary": post.text or ""}
        )
        return PostContent(title="", url=post.url, breaking=True, image_url=post.image_url, **extra)
    source = None
    if feed is not None:
        source = feed.name or feed.title
    return PostContent(
        title=article.title,
        summary=article.summary,
        url=article.url or post.url,
        source_name=source,
        topic=post.topic or (feed.topic if feed is not None else None),
        image_url=post.image_url or article.image_url,
        credit=article.image_credit,
        breaking=post.kind == "breaking",
    )
