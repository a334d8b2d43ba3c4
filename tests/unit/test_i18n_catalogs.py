"""Every message the bot says exists in en, ru and kk.

The catalogs are checked domain by domain (every ``.po`` file of every
feature): each English message has a real translation in Russian and Kazakh
with the same ``{placeholders}``, and every message the code asks
``translate`` for (found by reading the source, not by running it) is in the
English catalog. A missing translation would fall back to English at run
time; here it fails the build instead.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES, translate, translate_plural

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "bot"
PLACEHOLDER = re.compile(r"\{(\w*)\}")
# Calls whose argument at this position is a msgid.
MSGID_ARGUMENT = {"translate": 1, "translate_plural": 1, "notify_admins": 2}
HANDLER_MODULES = (
    "bot.handlers.readers.menu",
    "bot.handlers.editors",
    "bot.handlers.admins.registration",
)


def domains() -> list[str]:
    """Every catalog domain any language has."""
    return sorted({path.stem for path in LOCALES.glob("*/LC_MESSAGES/*.po")})


def load(language: str, domain: str) -> Catalog:
    path = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def messages(catalog: Catalog) -> dict[str, str]:
    return {
        str(message.id): str(message.string or "")
        for message in catalog
        if message.id and isinstance(message.id, str)
    }


def plurals(catalog: Catalog) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The counted messages: singular msgid -> (plural msgid, the forms translated)."""
    return {
        str(message.id[0]): (str(message.id[1]), tuple(str(form) for form in message.string))
        for message in catalog
        if isinstance(message.id, tuple)
    }


def english_msgids() -> set[str]:
    found: set[str] = set()
    for domain in domains():
        if (LOCALES / "en" / "LC_MESSAGES" / f"{domain}.po").exists():
            found |= set(messages(load("en", domain))) | set(plurals(load("en", domain)))
    return found


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments, so msgids kept in constants are found."""
    constants: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant):
            continue
        if isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value.value
    return constants


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def msgids_in_source(path: Path) -> set[str]:
    """The literal msgids a module passes to translate() or notify_admins()."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    constants = _module_constants(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        position = MSGID_ARGUMENT.get(_callee(node) or "")
        if position is None or len(node.args) <= position:
            continue
        argument = node.args[position]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            found.add(argument.value)
        elif isinstance(argument, ast.Name) and argument.id in constants:
            found.add(constants[argument.id])
        # Anything else is a msgid chosen at run time from a table: see msgid_tables.
    return found | msgid_tables(tree, constants)


def msgid_tables(tree: ast.Module, constants: dict[str, str]) -> set[str]:
    """Msgid constants listed as the values of a module-level table: ``{Outcome.X: POSTING}``."""
    found: set[str] = set()
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Dict):
            names = [v.id for v in value.values if isinstance(v, ast.Name)]
            found |= {constants[name] for name in names if name in constants}
    return found


def used_msgids() -> dict[str, str]:
    """Every msgid the code uses, with the file that uses it."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for msgid in msgids_in_source(path):
            found.setdefault(msgid, str(path.relative_to(ROOT)))
    for name in HANDLER_MODULES:
        module = importlib.import_module(name)
        for command, description in module.COMMANDS:
            found.setdefault(description, f"{name}.COMMANDS /{command}")
    return found


def test_there_are_catalogs_for_every_language() -> None:
    assert domains(), "no .po catalogs found"
    for language in LANGUAGES:
        assert (LOCALES / language / "LC_MESSAGES").is_dir(), language


@pytest.mark.parametrize("domain", domains())
def test_every_english_message_is_translated_in_every_language(domain: str) -> None:
    english = messages(load("en", domain))
    assert english, f"{domain}.po in en has no messages"
    for language in LANGUAGES:
        if language == "en":
            continue
        path = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
        assert path.exists(), f"{language} has no {domain}.po"
        translated = messages(load(language, domain))
        missing = [msgid for msgid in english if not translated.get(msgid, "").strip()]
        assert not missing, f"{language}/{domain}.po lacks translations for {missing}"
        untranslated = [
            msgid
            for msgid in english
            if translated[msgid] == msgid
            and re.search(r"[A-Za-z]{4}", msgid)
            and not _is_name(msgid)
        ]
        assert not untranslated, f"{language}/{domain}.po copies English for {untranslated}"


def _is_name(msgid: str) -> bool:
    """Proper names and codes that stay the same in every language."""
    return msgid.strip() in {"Telegram", "RSS"}


@pytest.mark.parametrize("domain", domains())
def test_no_language_has_a_message_english_lacks(domain: str) -> None:
    english = set(messages(load("en", domain)))
    for language in LANGUAGES:
        path = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            extra = set(messages(load(language, domain))) - english
            assert not extra, f"{language}/{domain}.po has messages not in en: {extra}"


@pytest.mark.parametrize("domain", domains())
def test_translations_keep_the_placeholders(domain: str) -> None:
    for language in LANGUAGES:
        path = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists():
            continue
        for msgid, text in messages(load(language, domain)).items():
            if text:
                assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), (
                    f"{language}/{domain}.po: {msgid!r} -> {text!r}"
                )


PLURAL_FORMS = {"en": 2, "ru": 3, "kk": 2}  # CLDR: ru one/few/many, kk and en one/other


@pytest.mark.parametrize("domain", domains())
def test_every_counted_message_has_each_plural_form_in_every_language(domain: str) -> None:
    english = plurals(load("en", domain))
    for language in LANGUAGES:
        path = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
        assert '"Plural-Forms: nplurals=' in path.read_text(encoding="utf-8"), path
        catalog = load(language, domain)
        assert catalog.num_plurals == PLURAL_FORMS[language], f"{language}/{domain}.po header"
        translated = plurals(catalog)
        assert set(translated) == set(english), f"{language}/{domain}.po counted messages differ"
        for msgid, (plural, forms) in translated.items():
            assert plural == english[msgid][0], f"{language}/{domain}.po: {msgid!r}"
            assert len(forms) == PLURAL_FORMS[language], f"{language}/{domain}.po: {msgid!r}"
            for form in forms:
                assert form.strip(), f"{language}/{domain}.po: {msgid!r} lacks a form"
                assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(msgid))


def test_the_catalogs_have_counted_messages() -> None:
    """The plural check above is not vacuous: messages with counts are plural entries."""
    assert any(plurals(load("ru", domain)) for domain in domains())


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("ru", 1, "Публикуем в 1 чат."),
        ("ru", 2, "Публикуем в 2 чата."),
        ("ru", 5, "Публикуем в 5 чатов."),
        ("ru", 21, "Публикуем в 21 чат."),
        ("ru", 112, "Публикуем в 112 чатов."),
        ("kk", 5, "5 чатқа жариялануда."),
        ("en", 1, "Publishing to 1 chat."),
        ("en", 5, "Publishing to 5 chats."),
        ("xx", 5, "Publishing to 5 chats."),  # an unknown language: English
    ],
)
def test_translate_plural_picks_the_form_the_language_uses(
    language: str, count: int, expected: str
) -> None:
    text = translate_plural(
        language, "Publishing to {chats} chat.", "Publishing to {chats} chats.", count, chats=count
    )
    assert text == expected


def test_every_message_the_code_uses_is_in_the_english_catalog() -> None:
    known = english_msgids()
    missing = {msgid: where for msgid, where in used_msgids().items() if msgid not in known}
    assert not missing, f"msgids used in the code but absent from every en catalog: {missing}"


def test_the_source_scan_finds_what_it_should() -> None:
    """The scanner itself: literals, module constants and descriptions are all found."""
    found = used_msgids()
    assert "You receive news on every topic." in found  # a literal
    assert "This button is out of date. Please send the command again." in found  # a constant
    assert "Stop all news" in found  # a /help description
    assert "I can no longer post in {chat}: posting there has stopped." in found  # a table


@pytest.mark.parametrize("language", LANGUAGES)
def test_translate_formats_in_each_language(language: str) -> None:
    text = translate(language, "You are now subscribed to {topic}.", topic="<b>sport</b>")
    assert "<b>sport</b>" in text


def test_a_missing_translation_falls_back_to_english_then_to_the_msgid() -> None:
    assert translate("xx", "You receive news on every topic.") == "You receive news on every topic."
    assert translate("kk", "A message no catalog has") == "A message no catalog has"
