"""A post as Telegram HTML. Pure: no I/O, no Telegram client.

An article post reads, top to bottom: the title in bold, a summary of a few
sentences, the photo credit in italics (when there is one), and the source's
name linked to the article with the topic (named in the chat's language) as a
hashtag; a "Read more" URL
button points to the article. Breaking news shows the editor's text exactly as
typed under a fixed "⚡ BREAKING" mark. Every post goes through
:mod:`bot.render.telegram_html`, so it is valid Telegram HTML whatever the
feed or editor wrote, and it is shrunk to Telegram's limit before it leaves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.articles.summarize import split_sentences
from bot.i18n import translate
from bot.render.telegram_html import (
    ELLIPSIS,
    Span,
    clean_text,
    first_url,
    linkify,
    safe_url,
    to_html,
    truncate,
    truncate_spans,
    visible_length,
)
from bot.render.telegram_html import telegram_length as telegram_length

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
SOURCE_NAME_LIMIT = 64
TOPIC_LIMIT = 48
BREAKING_MARK = "⚡"

_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_HASHTAG_JUNK = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class PostContent:
    """What a post says, before it is rendered for a chat.

    ``text`` is an editor's breaking news, shown literally (its URLs become
    links, the first one the post's link); article posts use ``title`` and
    ``summary``.
    """

    title: str
    summary: str = ""
    url: str | None = None
    source_name: str | None = None
    topic: str | None = None
    image_url: str | None = None
    credit: str | None = None
    breaking: bool = False
    text: str | None = None
    topic_names: tuple[tuple[str, str], ...] = ()  # (language, the topic's name in it)
    edition: str | None = None  # the article's edition: the language channels get it in


@dataclass(frozen=True)
class RenderedPost:
    """A post ready to send: HTML text (or caption) and its URL buttons.

    ``link_url`` is the article the post points to: a text post may show it
    as the link preview (the photo fallback's last step).
    """

    html: str
    buttons: tuple[tuple[str, str], ...] = ()  # (label, url)
    as_caption: bool = False
    link_url: str | None = None
    length: int = 0  # visible length as Telegram counts it


def render_post(content: PostContent, language: str = "en", *, as_caption: bool) -> RenderedPost:
    """Render ``content`` for a chat that speaks ``language``, fitted to Telegram's limit."""
    limit = CAPTION_LIMIT if as_caption else TEXT_LIMIT
    url = safe_url(content.url)
    if content.text is not None and content.text.strip():
        spans, url = _breaking_spans(content, language, url, limit)
    else:
        spans = _article_spans(content, language, url, limit)
    if not as_caption and not visible_text_of(spans).strip():
        spans = [Span(url or ELLIPSIS, href=url)]  # Telegram refuses an empty message
    buttons: tuple[tuple[str, str], ...] = ()
    if url:
        buttons = ((translate(language, "Read more"), url),)
    return RenderedPost(to_html(spans), buttons, as_caption, url, visible_length(spans))


def visible_text_of(spans: list[Span]) -> str:
    return "".join(span.text for span in spans)


def _article_spans(content: PostContent, language: str, url: str | None, limit: int) -> list[Span]:
    """Title, summary, credit and footer, with the summary (then the rest) shrunk to fit."""
    title = _one_line(content.title)
    summary = _paragraphs(content.summary)
    credit = _one_line(content.credit or "")
    head = _breaking_head(language) if content.breaking else []
    footer = _footer(content, language, url)

    def build(title: str, summary: str, credit: str) -> list[Span]:
        blocks: list[list[Span]] = [head] if head else []
        blocks += [[Span(title, "bold")]] if title else []
        blocks += [[Span(summary)]] if summary else []
        blocks += [[Span(credit, "italic")]] if credit else []
        blocks += [footer] if footer else []
        return _join(blocks)

    spans = build(title, summary, credit)
    over = visible_length(spans) - limit
    if over > 0 and summary:
        summary = _shrink(summary, telegram_length(summary) - over)
        spans = build(title, summary, credit)
        over = visible_length(spans) - limit
    if over > 0 and credit:
        credit = ""
        spans = build(title, summary, credit)
        over = visible_length(spans) - limit
    if over > 0:
        title = truncate(title, telegram_length(title) - over)
        spans = build(title, summary, credit)
    return truncate_spans(spans, limit)  # a last guard: a huge footer cannot break the limit


def _breaking_spans(
    content: PostContent, language: str, url: str | None, limit: int
) -> tuple[list[Span], str | None]:
    """The editor's text, literally, under the breaking mark; its first URL is the link."""
    text = _paragraphs(content.text or "", keep_lines=True)
    url = url or first_url(text)
    head = _breaking_head(language) if content.breaking else []
    body = linkify(text)
    spans = _join([head, body] if head else [body])
    return truncate_spans(spans, limit), url


def _breaking_head(language: str) -> list[Span]:
    return [Span(f"{BREAKING_MARK} {translate(language, 'BREAKING')}", "bold")]


def _footer(content: PostContent, language: str, url: str | None) -> list[Span]:
    """``Source: <a>Name</a> #topic``, with whatever of it the content has."""
    name = _one_line(content.source_name or "") or (_host(url) if url else "")
    name = truncate(name, SOURCE_NAME_LIMIT)
    spans: list[Span] = []
    if name:
        spans += [Span(f"{translate(language, 'Source')}: "), Span(name, href=url)]
    elif url:
        spans += [Span(translate(language, "Source"), href=url)]
    tag = _hashtag(dict(content.topic_names).get(language) or content.topic)
    if tag:
        spans += [Span(" " if spans else ""), Span(tag)]
    return spans


def _hashtag(topic: str | None) -> str:
    """``topic`` as a hashtag Telegram recognises (letters, digits, underscores)."""
    word = _HASHTAG_JUNK.sub("_", clean_text(topic or "")).strip("_")[:TOPIC_LIMIT]
    if not word or word.isdigit():
        return ""
    return f"#{word}"


def _shrink(summary: str, budget: int) -> str:
    """``summary`` within ``budget`` units: whole sentences when they fit, else cut at a word."""
    if budget <= 0:
        return ""
    if telegram_length(summary) <= budget:
        return summary
    best = ""
    # Sentences as the summary splits them (abbreviations and initials are no ends, en/ru/kk).
    for sentence in split_sentences(summary):
        candidate = f"{best} {sentence}".strip()
        if telegram_length(candidate) > budget:
            break
        best = candidate
    # A shorter whole sentence reads better than a longer one cut in the middle.
    return best or truncate(summary, budget)


def _join(blocks: list[list[Span]]) -> list[Span]:
    spans: list[Span] = []
    for block in blocks:
        if spans:
            spans.append(Span("\n\n"))
        spans.extend(block)
    return spans


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", clean_text(text).replace("\n", " ")).strip()


def _paragraphs(text: str, *, keep_lines: bool = False) -> str:
    """Plain text with tidy whitespace; an editor's line breaks are kept."""
    text = clean_text(text)
    if keep_lines:
        return _BLANK_LINES.sub("\n\n", text).strip()
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
