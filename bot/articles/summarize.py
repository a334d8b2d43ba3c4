"""A summary of 1 to N sentences drawn from an article's body. Pure and fast.

The text is first cleared of page chrome line by line (see
:mod:`bot.articles.chrome`): on real pages the extracted text starts with the
headline, a byline or a dateline, and dropping those lead lines is what makes
the first sentence the story's. It is then split into sentences with rules
that know English, Russian and Kazakh abbreviations and initials, so a cut
never falls inside "U.S." or "А. Смирнов" and never in the middle of a word.
A photo credit is returned apart, for the post to show on its own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.articles.chrome import (
    DASH_ITEM,
    credit_of,
    is_chrome,
    is_heading,
    strip_dateline,
    strip_title_prefix,
)

MAX_SUMMARY_CHARS = 700  # a few sentences, not the article
ELLIPSIS = "…"

# Words that end in a period without ending a sentence (lower-cased, no final dot).
_ABBREVIATION_WORDS = """
    mr mrs ms dr prof sr jr st mt no nos vs etc e.g i.e inc ltd co corp dept est approx fig
    jan feb mar apr jun jul aug sep sept oct nov dec gen col lt sgt capt rep sen gov pres
    u.s u.k u.n e.u a.m p.m ph.d
    г гг т.е т.д т.п т.к др пр ул им тыс млн млрд руб коп см напр проф акад обл р-н д стр рис
    ст гл стт чел трлн долл ср вкл
    ж жж т.б б.з.б ғ мыс
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_BOUNDARY = re.compile(r"[.!?…]+[»”\"')\]]*\s+")
_OPENERS = "«“\"'([—–-"
_WORD_BEFORE = re.compile(r"(\S+?)[.!?…]+[»”\"')\]]*$")
_GLUED_COMMA = re.compile(r",(?=[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])")
_SPACES = re.compile(r"[ \t\u00a0]+")
_TEASER_TAIL = re.compile(r"\s*(?:\[(?:…|\.\.\.)\]|\[?read more\]?\s*»?|…\s*$|\.\.\.\s*$)", re.I)


@dataclass(frozen=True)
class Summary:
    text: str
    credit: str | None = None


def summarize(
    text: str,
    *,
    sentences: int = 3,
    title: str | None = None,
    language: str | None = None,
    also_titles: tuple[str, ...] = (),
) -> Summary:
    """The first ``sentences`` sentences of the story in ``text``, and its photo credit.

    ``language`` is a hint only: the rules cover English, Russian and Kazakh
    together, since pages mix them (a Kazakh site in English, quotes in Russian).
    ``also_titles`` are more headlines the page repeats (og:title, ``<h1>``).
    """
    del language  # the same rules serve en, ru and kk
    titles = tuple(t for t in (title, *also_titles) if t)
    lines, credit = body_lines(text, titles)
    picked = first_sentences(" ".join(lines), max(1, sentences))
    return Summary(picked, credit)


def body_lines(text: str, titles: tuple[str, ...] = ()) -> tuple[list[str], str | None]:
    """The story's lines, chrome dropped, and the first photo credit seen."""
    credit: str | None = None
    body: list[str] = []
    headings: list[str] = []
    lines = [_SPACES.sub(" ", raw).strip() for raw in text.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if not body and _in_dash_list(lines, index):
            continue  # "— item" lines before the story: a list of links, not its lead
        found = credit_of(line)
        if found:
            credit = credit or found
            continue
        if is_chrome(line, titles):
            continue
        line = strip_title_prefix(line, titles)
        if is_heading(line):
            headings.append(line)
            continue
        if not body:
            line = strip_dateline(line)
        body.append(_GLUED_COMMA.sub(", ", line))
    # A teaser can be one unpunctuated line; better that than nothing.
    return (body or headings[-1:]), credit


def _in_dash_list(lines: list[str], index: int) -> bool:
    """Whether ``lines[index]`` is one of two or more "— item" lines in a row."""
    if not DASH_ITEM.match(lines[index]):
        return False
    neighbours = lines[max(0, index - 1) : index] + lines[index + 1 : index + 2]
    return any(DASH_ITEM.match(line) for line in neighbours)


def first_sentences(text: str, count: int) -> str:
    """Up to ``count`` whole sentences of ``text``, within a few hundred characters."""
    parts = split_sentences(text)
    picked: list[str] = []
    for sentence in parts[:count]:
        if picked and len(" ".join([*picked, sentence])) > MAX_SUMMARY_CHARS:
            break
        picked.append(sentence)
    summary = " ".join(picked)
    if len(summary) > MAX_SUMMARY_CHARS:
        summary = _cut_at_word(summary, MAX_SUMMARY_CHARS)
    return summary


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, split at . ! ? … followed by a capital, not after abbreviations."""
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= len(text) or not _starts_sentence(text[end:]):
            continue
        if _ends_with_abbreviation(text[start : match.end()].rstrip()):
            continue
        sentences.append(text[start:end].strip())
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _starts_sentence(rest: str) -> bool:
    stripped = rest.lstrip(_OPENERS + " ")
    return bool(stripped) and (stripped[0].isupper() or stripped[0].isdigit())


def _ends_with_abbreviation(chunk: str) -> bool:
    match = _WORD_BEFORE.search(chunk)
    if not match or not chunk.rstrip("»”\"')]").endswith("."):
        return False
    word = match.group(1).lstrip(_OPENERS).casefold()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "Y. Sarsembayev", "А. Смирнов"
    return word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS


def _cut_at_word(text: str, limit: int) -> str:
    cut = text[: limit - 1]
    if not text[limit - 1 : limit].isspace() and " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:—–-") + ELLIPSIS


def clean_teaser(text: str) -> str:
    """A feed teaser without its "[…]" or "Read more »" tail."""
    return _TEASER_TAIL.sub("", text).strip()
