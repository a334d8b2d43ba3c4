"""Page chrome: the lines of an extracted article that are not the article. Pure.

What a scraper sees around a story (measured on real news pages, English,
Russian and Kazakh): exchange-rate tickers, section names, repeated headlines,
bylines, datelines with view counters, photo credits, "Share:" and "Subscribe
to our Telegram channel" blocks, table rows and list marks. Each rule here is
one kind of line, so a summary is drawn from the body alone.
"""

from __future__ import annotations

import re

# "Photo: Ministry of Justice", "Фото: ...", "Сурет: ...", "Photo by ...", "© Reuters"
_CREDIT = re.compile(
    r"^\s*(?:(?:photo(?:graph)?s?|image|picture|illustration|credit|фото(?:графия)?|"
    r"сурет(?:тер)?|иллюстрация|изображение|кадр)\s*(?:credit|by|автор[а-я]*)?\s*[:/©—–-]"
    r"|©)\s*\S",
    re.IGNORECASE,
)
# A dateline, time or counter glued to the end of a credit line.
_TRAILING_STAMP = re.compile(
    r"(?:\s+(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}|\d+|\|))+\s*$"
)
# Only digits, separators and currency signs: tickers, dates, counters.
_NUMBERS_ONLY = re.compile(r"^[\d\s.,:;%+\-−–—/|$€£₸₽¥()]*$")
_COUNTER = re.compile(
    r"(?:^|\s)(?:views?|просмотр\w*|прочтени\w*|қаралым\w*|қаралды\w*|comments?|коммент\w*)"
    r"\s*:?\s*\d+|\d+\s+(?:views?|просмотр\w*|қаралым\w*)\s*$",
    re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(
    r"^\s*(?:share(?:\s*[:!]|\s*$|\s+(?:this|on|via)\b)|поделиться|бөлісу|subscribe|подпиш"
    r"|подпис|жазылы|follow us|join us"
    r"|read (?:also|more)|читайте (?:также|нас)|смотрите также|see also|related|tags?\s*:"
    r"|теги\s*:|тегтер\s*:|advertisement|реклама|жарнама|continue reading"
    r"|the post .* appeared first on)",
    re.IGNORECASE,
)
_MESSENGER_PLUG = re.compile(
    r"(?:telegram|whatsapp|instagram|youtube|facebook|vk\b|телеграм)", re.IGNORECASE
)
_CHANNEL_WORDS = re.compile(r"(?:subscri|channel|подпис|канал|арна|жазыл|follow)", re.IGNORECASE)
_BYLINE = re.compile(
    r"^\s*(?:by|written by|author|reporter|автор[ы]?|текст|корреспондент|редактор)\b[:\s]",
    re.IGNORECASE,
)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_LIST_MARK = re.compile(r"^\s*(?:[-•*·▪►▸●◦–—]|\d{1,2}[.)])\s*$")
_SENTENCE_END = re.compile(r"[.!?…:;][»”\"')\]]*\s*$")
_WORDS = re.compile(r"\w+")
# "ALMATY, Nov 26 (Reuters) - ", "АСТАНА. KAZINFORM – ", "WASHINGTON (AP) — ": a dateline
# glued to the first sentence.
_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_DATELINE = re.compile(
    rf"^(?P<place>(?:[{_UPPER}][{_UPPER}'’.\-]+[ ,./]*){{1,5}})"
    r"(?:[A-Z][a-z]{2,8}\.? \d{1,2}\s*)?(?:\([^)]{1,40}\)\s*)?[–—-]\s+(?=\S)"
)
MAX_CREDIT_CHARS = 200  # a longer "Photo: ..." line is a caption, not a credit
SHORT_LINE_WORDS = 15  # a line this short without sentence punctuation is a heading or kicker
BYLINE_WORDS = 12


def credit_of(line: str) -> str | None:
    """The photo credit a line states ("Фото: Ministry of Justice"), without its timestamp."""
    if not _CREDIT.match(line):
        return None
    text = _TRAILING_STAMP.sub("", line.strip()).strip(" |·—–-")
    return text if text and len(text) <= MAX_CREDIT_CHARS else None


def is_chrome(line: str, titles: tuple[str, ...] = ()) -> bool:
    """Whether ``line`` is page furniture rather than a line of the story."""
    text = line.strip()
    if not text or _NUMBERS_ONLY.match(text) or _TABLE_ROW.match(text) or _LIST_MARK.match(text):
        return True
    if credit_of(text) or _CALL_TO_ACTION.match(text) or _COUNTER.search(text):
        return True
    if _MESSENGER_PLUG.search(text) and _CHANNEL_WORDS.search(text):
        return True
    words = len(_WORDS.findall(text))
    if _BYLINE.match(text) and words <= BYLINE_WORDS and not _SENTENCE_END.search(text):
        return True
    return any(same_text(text, title) for title in titles if title)


def is_heading(line: str) -> bool:
    """A short line that ends without sentence punctuation: a headline, kicker or section."""
    text = line.strip()
    return len(_WORDS.findall(text)) < SHORT_LINE_WORDS and not _SENTENCE_END.search(text)


def same_text(a: str, b: str) -> bool:
    """Equal once case, punctuation and spacing are ignored (a repeated headline)."""
    return _key(a) == _key(b) and bool(_key(a))


def strip_title_prefix(line: str, titles: tuple[str, ...]) -> str:
    """``line`` without a headline glued to its start ("Headline First sentence.")."""
    for title in titles:
        key = _key(title)
        if key and _key(line).startswith(key) and len(_key(line)) > len(key):
            words = len(_WORDS.findall(title))
            rest = _drop_words(line, words)
            if rest:
                return rest
    return line


def strip_dateline(line: str) -> str:
    """``line`` without a wire-style dateline ("ALMATY (Reuters) - ") at its start."""
    match = _DATELINE.match(line)
    if not match or sum(ch.isalpha() for ch in match.group("place")) < 4:
        return line
    return line[match.end() :]


def _drop_words(line: str, count: int) -> str:
    matches = list(_WORDS.finditer(line))
    if len(matches) <= count:
        return ""
    return line[matches[count].start() :].lstrip(" :—–-|")


def _key(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))
