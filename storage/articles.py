"""Articles seen in feeds, and the posts made from them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, Feed, Post

ROUTINE_PRIORITY = 0
BREAKING_PRIORITY = 100


async def known_keys(session: AsyncSession, feed_id: int, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` this feed has already seen."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
        chunk = wanted[start : start + 500]
        query = select(Article.key).where(Article.feed_id == feed_id, Article.key.in_(chunk))
        found.update((await session.scalars(query)).all())
    return found


def article_post(
    feed: Feed, article: Article, sort_at: datetime, now: datetime, *, topic: str | None = None
) -> Post:
    """The post that announces an article, under ``topic`` (default: the feed's)."""
    return Post(
        kind="article",
        state="published",
        article_id=article.id,
        feed_id=feed.id,
        topic=topic or feed.topic,
        priority=ROUTINE_PRIORITY,
        url=article.url,
        image_url=article.image_url,
        created_at=now,
        published_at=now,
        sort_at=sort_at,
    )


async def post_with_article(session: AsyncSession, post_id: int) -> tuple[Post, Article | None]:
    post = await session.get(Post, post_id)
    if post is None:
        raise LookupError(f"post {post_id} does not exist")
    article = await session.get(Article, post.article_id) if post.article_id else None
    return post, article
