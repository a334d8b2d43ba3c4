"""The rules of editions and topics, one test each: a feed's edition, an entry's topic,
a reader's editions by default and by choice, a topic's name and the names that find it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feeds.sections import edition_of, topic_of
from bot.newsroom.editions import receiving, toggled
from config.settings import SettingsError, TopicSettings, load_settings
from config.topics import TopicNames

MAP = {"экономика": "economy", "политика": "politics"}  # as stored: folded
NAMES = TopicNames({"economy": TopicSettings(en="Economy", ru="Экономика", kk="Экономика")})


def test_a_feeds_edition_set_in_the_settings_wins_over_what_the_feed_says() -> None:
    assert edition_of("ru", "en-US", "en") == "ru"


def test_a_feeds_edition_is_otherwise_its_own_language_by_base() -> None:
    assert edition_of(None, "kk-KZ", "en") == "kk"
    assert edition_of(None, "ru_RU", "en") == "ru"


def test_a_feed_in_no_language_or_one_not_spoken_gets_the_default() -> None:
    assert edition_of(None, None, "ru") == "ru"
    assert edition_of(None, "de", "kk") == "kk"


def test_an_entry_takes_the_topic_of_its_first_mapped_category_in_any_case_and_spacing() -> None:
    assert topic_of(["Город", " ПОЛИТИКА ", "Экономика"], MAP, "society") == "politics"


def test_an_entry_with_no_mapped_category_gets_the_feeds_topic_else_none() -> None:
    assert topic_of(["Город"], MAP, "society") == "society"
    assert topic_of([], None, None) is None


def test_a_reader_who_chose_editions_gets_those() -> None:
    assert receiving({"en", "kk"}, "ru", ["en", "ru", "kk"]) == {"en", "kk"}


def test_by_default_a_reader_gets_their_languages_edition_else_every_edition() -> None:
    assert receiving(set(), "kk", ["en", "ru", "kk"]) == {"kk"}
    assert receiving(set(), "kk", ["en", "ru"]) == {"en", "ru"}


def test_an_edition_button_switches_it_but_never_the_last_one_off() -> None:
    assert toggled(frozenset({"ru"}), "en") == {"ru", "en"}
    assert toggled(frozenset({"ru", "en"}), "en") == {"ru"}
    assert toggled(frozenset({"ru"}), "ru") == {"ru"}


def test_a_topic_is_called_by_its_name_in_the_language_else_by_its_slug() -> None:
    assert NAMES.name("economy", "ru") == "Экономика"
    assert NAMES.name("economy", "xx") == "economy"
    assert NAMES.name("sport", "ru") == "sport"
    assert TopicNames({"economy": TopicSettings(en="Economy")}).name("economy", "kk") == "economy"


def test_a_topic_is_found_by_its_slug_or_any_of_its_names_in_any_case() -> None:
    known = ["economy", "sport"]
    assert NAMES.find("экономика", known) == "economy"
    assert NAMES.find(" Economy ", known) == "economy"
    assert NAMES.find("SPORT", known) == "sport"
    assert NAMES.find("weather", known) is None


def test_the_settings_take_feeds_editions_and_categories_and_topic_names(tmp_path: Path) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text(
        '[[feeds]]\nurl = "https://x.kz/ru.xml"\nlanguage = "ru"\n'
        'topics = { "Экономика" = "economy" }\n\n[topics.economy]\nru = "Экономика"\n',
        encoding="utf-8",
    )
    settings = load_settings(path, environ={})
    assert settings.feeds[0].language == "ru"
    assert settings.feeds[0].topics == {"Экономика": "economy"}
    assert settings.topics["economy"].ru == "Экономика"


def test_a_feed_edition_the_bot_does_not_speak_is_refused_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text('[[feeds]]\nurl = "https://x.kz/rss"\nlanguage = "de"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"feeds\.0\.language"):
        load_settings(path, environ={})
