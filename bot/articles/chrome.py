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
# A bulleted item (related links, key points, menus) is never the story's sentence.
_BULLET_ITEM = re.compile(r"^\s*[•·▪►▸●◦■□➤✓✔→]\s*\S")
DASH_ITEM = re.compile(r"^\s*[-–—]\s+\S")  # a "— item" line: a list when several follow
# Players that cannot play for the scraper, and what every page of a site repeats.
_PLAYER_NOTICE = re.compile(
    r"(?:this video (?:can ?not|is not|isn't) (?:be )?(?:played|available|displayed)"
    r"|video (?:is )?(?:not |un)available|your browser does not support (?:the )?(?:video|audio)"
    r"|(?:enable|turn on) javascript|javascript is (?:disabled|required)"
    r"|видео (?:недоступно|не может быть воспроизведено)|ваш браузер не поддерживает"
    r"|для просмотра видео|бейне(?:ні)? (?:қолжетімсіз|қолжетімді емес|ойнатылмайды|көру үшін))",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"(?:all rights reserved|все права защищены|барлық құқықтар қорғалған|құқықтар қорғалған"
    r"|при (?:полном или частичном )?(?:использовании|копировании|цитировании) материал"
    r"|ссылка на .{0,40}обязательна|we use cookies|мы используем (?:файлы )?cookie"
    r"|sign up for (?:our|the) newsletter|если вы (?:нашли|заметили) (?:ошибку|опечатку)"
    r"|found a (?:typo|mistake)|ctrl\s*\+\s*enter|^loading\W*$|^загрузка\W*$)",
    re.IGNORECASE,
)
BOILERPLATE_WORDS = 40  # a longer line is a paragraph that happens to say so
_MONTHS = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"|январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]"
    r"|октябр[яь]|ноябр[яь]|декабр[яь]|қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз"
    r"|қыркүйек|қазан|қараша|желтоқсан"
)
_DATE = (
    rf"(?:\d{{4}}\s+жыл\w*\s+)?\d{{1,2}}\s+(?:{_MONTHS})(?:,?\s+\d{{4}})?(?:\s*(?:г\.|года|ж\.))?"
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}"
    r"|\d{4}-\d{2}-\d{2}"
)
_TIME = r"\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?"
# "27 Apr 2020, 00:47 by …", "5 декабря 2024, 14:30", "Nov 26, 2026 at 9:15 am |": a date lead.
_DATE_LEAD = re.compile(
    rf"^\s*(?:\w+,\s+)?(?:{_DATE})(?P<time>[,\s|·•–—-]*(?:at\s+|в\s+)?{_TIME})?"
    r"[,\s|·•–—-]*(?P<rest>.*)$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…:;][»”\"')\]]*\s*$")
_WORDS = re.compile(r"\w+")
# "ALMATY, Nov 26 (Reuters) - ", "АСТАНА. KAZINFORM – ", "WASHINGTON (AP) — ": a dateline
# glued to the first sentence.
_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_DATELINE = re.compile(
    rf"^(?P<place>(?:[{_UPPER}][{_UPPER}'’.\-]+[ ,./]*){{1,5}})"
    rf"(?:[A-Z][a-z]{{2,8}}\.? \d{{1,2}}\s*|\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?\s*)?"
    r"(?:\([^)]{1,40}\)\s*)?[–—-]\s+(?=\S)"
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
    if _BULLET_ITEM.match(text) or _PLAYER_NOTICE.search(text) or is_date_line(text):
        return True
    if _BOILERPLATE.search(text) and len(_WORDS.findall(text)) <= BOILERPLATE_WORDS:
        return True
    if _MESSENGER_PLUG.search(text) and _CHANNEL_WORDS.search(text):
        return True
    words = len(_WORDS.findall(text))
    if _BYLINE.match(text) and words <= BYLINE_WORDS and not _SENTENCE_END.search(text):
        return True
    return any(same_text(text, title) for title in titles if title)


def is_date_line(line: str) -> bool:
    """A date (and time) on its own, or followed only by a byline: "27 Apr 2020, 00:47 by …"."""
    match = _DATE_LEAD.match(line)
    if not match:
        return False
    rest = match.group("rest").strip()
    if not rest:
        return True
    words = len(_WORDS.findall(rest))
    return bool(_BYLINE.match(rest + " ")) and words <= BYLINE_WORDS


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
            # "Headline The story…" is glued; "Headline will close…" is the story's own sentence.
            if rest and (_starts_upper(rest) or rest[0].isdigit()):
                return rest
    return line


def strip_dateline(line: str) -> str:
    """``line`` without a wire dateline ("ALMATY (Reuters) - ") or a date and time at its start."""
    stamp = _DATE_LEAD.match(line)
    if stamp and stamp.group("time") and _starts_upper(stamp.group("rest")):
        return stamp.group("rest")
    match = _DATELINE.match(line)
    if not match or sum(ch.isalpha() for ch in match.group("place")) < 4:
        return line
    return line[match.end() :]


def _starts_upper(text: str) -> bool:
    stripped = text.lstrip("«“\"'(")
    return bool(stripped) and stripped[0].isupper()


def _drop_words(line: str, count: int) -> str:
    matches = list(_WORDS.finditer(line))
    if len(matches) <= count:
        return ""
    return line[matches[count].start() :].lstrip(" :—–-|")


def _key(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))
