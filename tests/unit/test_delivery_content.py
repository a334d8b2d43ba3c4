"""What a post says, from its rows (bot.delivery.content.post_content)."""

from __future__ import annotations

from datetime import datetime

from bot.delivery.content import post_content
from storage.models import Article, Feed, Post

NOW = datetime(2026, 11, 27, 8, 0)


def article_post() -> tuple[Post, Article, Feed]:
    feed = Feed(url="https://example.kz/rss", name="Example News", topic="politics")
    article = Article(
        title="Minister reports in Geneva",
        summary="The report was presented.",
        url="https://example.kz/news/1",
        image_url="https://example.kz/1.jpg",
        image_credit="Photo: Ministry",
    )
    post = Post(kind="article", topic=None, sort_at=NOW, created_at=NOW)
    return post, article, feed


def test_an_article_post_says_what_its_article_says_under_the_feeds_name() -> None:
    content = post_content(*article_post())
    assert content.title == "Minister reports in Geneva"
    assert content.summary == "The report was presented."
    assert content.url == "https://example.kz/news/1"
    assert content.source_name == "Example News"
    assert content.image_url == "https://example.kz/1.jpg"
    assert content.credit == "Photo: Ministry"
    assert content.topic == "politics" and not content.breaking


def test_the_posts_own_photo_wins_over_the_articles() -> None:
    post, article, feed = article_post()
    post.image_url = "https://example.kz/page-photo.jpg"
    assert post_content(post, article, feed).image_url == "https://example.kz/page-photo.jpg"


def test_a_feed_without_a_name_is_named_by_its_title() -> None:
    post, article, feed = article_post()
    feed.name, feed.title = None, "Example Feed Title"
    assert post_content(post, article, feed).source_name == "Example Feed Title"


def test_breaking_news_is_the_editors_text_literally() -> None:
    post = Post(kind="breaking", text="Polls close at 20:00 https://example.kz/live",
                url=None, sort_at=NOW, created_at=NOW)  # fmt: skip
    content = post_content(post, None, None)
    assert content.breaking and content.text == post.text and content.title == ""
