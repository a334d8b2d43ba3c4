"""Property tests: a summary is made of the text's own words, whole, and stays short."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.articles.summarize import MAX_SUMMARY_CHARS, split_sentences, summarize

WORDS = st.sampled_from(
    [
        "Astana",
        "bridge",
        "opened",
        "Mr.",
        "U.S.",
        "т.е.",
        "г.",
        "Мост",
        "ашылды",
        "Қазақстан",
        "522.42",
        "3.5",
        "«Да»",
        "—",
        "!",
        "?",
        "…",
        "Photo:",
        "Share:",
        "🚀",
        "\n",
        "\n\n",
        ".",
        ",",
    ]
)
TEXT = st.lists(st.one_of(WORDS, st.text(min_size=1, max_size=12)), max_size=300).map(" ".join)
_TOKEN = re.compile(r"\w+")


@settings(max_examples=300, deadline=None)
@given(text=TEXT, count=st.integers(min_value=1, max_value=5))
def test_summary_words_are_whole_words_of_the_text(text: str, count: int) -> None:
    summary = summarize(text, sentences=count)
    assert len(summary.text) <= MAX_SUMMARY_CHARS
    source_words = set(_TOKEN.findall(text))
    for word in _TOKEN.findall(summary.text):
        assert word in source_words  # never a word cut in half
    assert len(split_sentences(summary.text)) <= max(count, 1) or summary.text.endswith("…")
    if summary.credit:
        assert summary.credit not in summary.text
