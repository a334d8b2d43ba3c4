"""What a post says, from the database rows it was made of. Pure: no I/O."""

from __future__ import annotations

from bot.render.post import PostContent
from storage.models import Article, Feed, Post


def post_content(post: Post, article: Article | None, feed: Feed | None) -> PostContent:
    """The renderable content of ``post``: an editor's breaking text, or an article."""
    if post.kind == "breaking" or article is None:
        # The editor's words, rendered literally (bot.render.post); their first URL links.
        return PostContent(
            title="", text=post.text or "", url=post.url, breaking=True, image_url=post.image_url
        )
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
        breaking=False,
    )
