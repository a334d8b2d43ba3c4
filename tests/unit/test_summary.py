"""summarize: 1..N sentences of the story, cut at sentence ends, no page chrome."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles.chrome import credit_of, is_chrome
from bot.articles.summarize import MAX_SUMMARY_CHARS, split_sentences, summarize

SAMPLE = Path("/work/shared/samples/kazakh-news-page.txt")
PAGE_TEXT = """522.42
543.89
5.28

News

Kazakhstan reaffirms commitment to international human rights obligations at 48th UPR Session

Kazakhstan reaffirms commitment to international human rights obligations at 48th UPR Session
Фото: Ministry of Justice of Kazakhstan 23.01.2025 18:08 54

Minister of Justice Yerlan Sarsembayev made a report at the 48th session of the UN Council in \
Geneva,El.kz reports citing the Ministry of Justice of Kazakhstan.

On January 23, 2025, the Republic of Kazakhstan presented its fourth National Report.

The main document was presented by a delegation headed by the Minister of Justice.

The delegations of foreign States noted the progress of the Republic of Kazakhstan.

Share:
Telegram Subscribe to our Telegram channel and be the first to know the news!"""
TITLE = (
    "Kazakhstan reaffirms commitment to international human rights obligations at 48th UPR Session"
)


def test_kazakh_news_page_summary_has_no_chrome() -> None:
    summary = summarize(PAGE_TEXT, sentences=3, title=TITLE)
    assert summary.text.startswith("Minister of Justice Yerlan Sarsembayev made a report")
    for chrome in ("522.42", "News Kazakhstan", "Фото", "23.01.2025", "Share", "Subscribe", TITLE):
        assert chrome not in summary.text
    assert summary.text.endswith("presented by a delegation headed by the Minister of Justice.")


def test_credit_is_returned_apart_without_date_and_counter() -> None:
    assert summarize(PAGE_TEXT, title=TITLE).credit == "Фото: Ministry of Justice of Kazakhstan"


@pytest.mark.skipif(not SAMPLE.exists(), reason="the shared sample is not on this machine")
def test_the_shared_sample_page() -> None:
    summary = summarize(SAMPLE.read_text(encoding="utf-8"), sentences=2)
    assert summary.text.startswith("Minister of Justice of the Republic of Kazakhstan")
    assert summary.credit == "Фото: Ministry of Justice of Kazakhstan"
    assert "Subscribe" not in summary.text and "522.42" not in summary.text


def test_a_glued_comma_gets_its_space() -> None:
    assert "Geneva, El.kz reports" in summarize(PAGE_TEXT, title=TITLE).text


@pytest.mark.parametrize("count", [1, 2, 3])
def test_sentence_budget_is_respected(count: int) -> None:
    text = "One is here. Two is here. Three is here. Four is here."
    assert len(split_sentences(summarize(text, sentences=count).text)) == count


def test_summary_stays_a_few_hundred_characters() -> None:
    text = " ".join(["This sentence is rather long and keeps going for a while."] * 200)
    assert len(summarize(text, sentences=10).text) <= MAX_SUMMARY_CHARS


def test_a_giant_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = "word " * 500
    summary = summarize(text).text
    assert summary.endswith("word…") and len(summary) <= MAX_SUMMARY_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Dr. Jones in the U.S. Capitol. They talked.", 2),
        ("Y. Sarsembayev spoke first. Then others spoke.", 2),
        ("В 2025 г. Президент К. Токаев подписал закон. Он вступит в силу в январе.", 2),
        ("Построено 5 тыс. домов, т.е. больше плана. Это рекорд.", 2),
        ("Ол 2030 ж. дейін әрекет етеді. Құжат бекітілді.", 2),
        ("He said: «Всё готово». Затем ушёл.", 2),
        ("Prices rose 3.5 percent! Why? Nobody knows… Really.", 4),
        ("no capital after. the dot keeps going", 1),
    ],
)
def test_sentence_splitting_in_english_russian_and_kazakh(text: str, expected: int) -> None:
    assert len(split_sentences(text)) == expected


@pytest.mark.parametrize(
    "line",
    [
        "522.42 543.89 5.28",
        "23.01.2025 18:08 54",
        "Просмотров: 1520",
        "1520 views",
        "Share:",
        "Поделиться",
        "Telegram Subscribe to our Telegram channel and be the first to know the news!",
        "Подписывайтесь на наш канал в Telegram",
        "Telegram арнамызға жазылыңыз!",
        "By Jane Doe",
        "Автор: Иван Петров",
        "| Stops | 22 |",
        "•",
        "Читайте также: Как изменится маршрут автобусов",
        "The post Foo appeared first on Bar.",
    ],
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "Share prices fell sharply on Monday after the central bank raised rates.",
        "The minister said 1520 people had been evacuated.",
        "By the end of the year the plant will employ 400 people.",
    ],
)
def test_story_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


@pytest.mark.parametrize(
    ("line", "credit"),
    [
        ("Photo: Ministry of Justice of Kazakhstan", "Photo: Ministry of Justice of Kazakhstan"),
        ("Фото: пресс-служба акимата 12:30", "Фото: пресс-служба акимата"),
        ("Сурет: Үкімет баспасөз қызметі", "Сурет: Үкімет баспасөз қызметі"),
        ("Photo by Reuters", None),
        ("© Reuters", "© Reuters"),
    ],
)
def test_credit_lines(line: str, credit: str | None) -> None:
    assert credit_of(line) == credit


def test_headline_glued_to_the_first_sentence_is_dropped() -> None:
    text = "Bridge opens in Astana The bridge opened on Monday. Traffic moved at once."
    assert summarize(text, title="Bridge opens in Astana").text.startswith("The bridge opened")


def test_byline_and_dateline_lead_lines_are_dropped() -> None:
    text = "TRANSPORT\nBy Jane Doe\nNovember 26, 2026\nThe council voted on Wednesday. It passed."
    assert summarize(text).text == "The council voted on Wednesday. It passed."


def test_a_teaser_without_punctuation_is_used_when_it_is_all_there_is() -> None:
    assert summarize("Kazakhstan at the UPR session").text == "Kazakhstan at the UPR session"


def test_empty_text_gives_an_empty_summary() -> None:
    assert summarize("").text == "" and summarize("   \n\n").credit is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALMATY, Nov 26 (Reuters) - The central bank held rates.", "The central bank held rates."),
        ("АСТАНА. KAZINFORM – Президент подписал закон.", "Президент подписал закон."),
        ("WASHINGTON (AP) — The Senate voted.", "The Senate voted."),
        ("NATO allies agreed - at last - to act.", "NATO allies agreed - at last - to act."),
        ("US - China talks resumed.", "US - China talks resumed."),
    ],
)
def test_a_wire_dateline_before_the_first_sentence_is_dropped(text: str, expected: str) -> None:
    assert summarize(text).text == expected


@pytest.mark.parametrize(
    "lead",
    [
        "• Tokayev meets the Chinese premier\n• Oil prices fall",
        "▪ Токаев провёл встречу с премьером Китая.\n▪ Цены на нефть упали.",
        "— Экономика\n— Политика\n— Спорт",
        "— Токаев провёл встречу с премьером Китая.\n— Цены на нефть упали.",
        "– Тоқаев Қытай премьерімен кездесті.\n– Мұнай бағасы төмендеді.",
    ],
)
def test_lead_list_items_are_dropped(lead: str) -> None:
    text = f"{lead}\nThe council voted on Wednesday. It passed."
    assert summarize(text, sentences=1).text == "The council voted on Wednesday."


def test_a_single_dash_line_is_direct_speech_and_kept() -> None:
    text = "— Мы откроем мост в декабре, — сказал аким.\nРаботы идут по графику."
    assert summarize(text, sentences=1).text == "— Мы откроем мост в декабре, — сказал аким."


@pytest.mark.parametrize(
    "line",
    [
        "27 Apr 2020, 00:47 by Jane Doe",
        "Nov 26, 2026 at 9:15 am | By Aigerim Bekova",
        "5 декабря 2024, 14:30",
        "Monday, 5 December 2024 10:02",
        "2024 жылғы 5 желтоқсан 14:30",
        "5 желтоқсан 2024, 09:15 Автор: Айгерім Бекова",
    ],
)
def test_a_dateline_lead_line_is_dropped(line: str) -> None:
    text = f"{line}\nThe council voted on Wednesday. It passed."
    assert summarize(text, sentences=1).text == "The council voted on Wednesday."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("АСТАНА, 5 декабря — Президент подписал закон.", "Президент подписал закон."),
        ("АЛМАТЫ, 5 желтоқсан – Әкім жаңа жолды ашты.", "Әкім жаңа жолды ашты."),
        ("27 Apr 2020, 00:47 The central bank held rates.", "The central bank held rates."),
        ("5 декабря — день добровольца.", "5 декабря — день добровольца."),
        ("5 December 2024 was the coldest day.", "5 December 2024 was the coldest day."),
    ],
)
def test_a_dateline_glued_to_the_first_sentence_is_dropped_but_dated_text_kept(
    text: str, expected: str
) -> None:
    assert summarize(text, sentences=1).text == expected


@pytest.mark.parametrize(
    "notice",
    [
        "This video can not be played",
        "This video is not available in your country.",
        "Your browser does not support the video tag.",
        "Видео недоступно для просмотра в вашем регионе.",
        "Бейне қолжетімсіз",
    ],
)
def test_video_region_notices_are_dropped(notice: str) -> None:
    text = f"{notice}\nThe council voted on Wednesday. It passed."
    assert summarize(text, sentences=1).text == "The council voted on Wednesday."


@pytest.mark.parametrize(
    "line",
    [
        "© 2026 Example News. All rights reserved.",
        "При использовании материалов ссылка на сайт обязательна.",
        "Барлық құқықтар қорғалған.",
        "Если вы нашли ошибку, выделите её и нажмите Ctrl+Enter.",
        "We use cookies to improve your experience.",
        "Loading...",
    ],
)
def test_site_boilerplate_lines_are_chrome(line: str) -> None:
    assert is_chrome(line)


def test_a_headline_that_begins_the_first_sentence_is_kept() -> None:
    text = "Road works on Abay avenue will close two lanes. They end in May."
    summary = summarize(text, sentences=1, title="Road works on Abay avenue")
    assert summary.text == "Road works on Abay avenue will close two lanes."
