"""What a post says, from the database rows it was made of. Pure: no I/O."""

from __future__ import annotations

from bot.i18n import LANGUAGES
from bot.render.post import PostContent
from config.topics import NO_NAMES, TopicNames
from storage.models import Article, Feed, Post


def post_content(
    post: Post, article: Article | None, feed: Feed | None, names: TopicNames = NO_NAMES
) -> PostContent:
    """The renderable content of ``post``: an editor's breaking text, or an article.

    The article's topic carries its name in each language, for the hashtag.
    """
    if post.kind == "breaking" or article is None:
        # The editor's words, rendered literally (bot.render.post); their first URL links.
        return PostContent(
            title="", text=post.text or "", url=post.url, breaking=True, image_url=post.image_url
        )
    source = None
    if feed is not None:
        source = feed.name or feed.title
    topic = post.topic or (feed.topic if feed is not None else None)
    return PostContent(
        title=article.title,
        summary=article.summary,
        url=article.url or post.url,
        source_name=source,
        topic=topic,
        image_url=post.image_url or article.image_url,
        credit=article.image_credit,
        breaking=False,
        topic_names=tuple((lang, names.name(topic, lang)) for lang in LANGUAGES if topic),
        edition=article.language,
    )


def copy_language(
    chat_kind: str, reader_language: str | None, content: PostContent, default: str
) -> str:
    """The language a chat's copy speaks: readers chose theirs; channels and groups speak
    the article's edition, else the outlet's language."""
    chosen = reader_language if chat_kind == "private" else content.edition
    return chosen or default
