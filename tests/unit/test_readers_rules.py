"""The readers' rules, one named test each: topic choices, status moves, callback data,
the bot's right to post, and which commands /help lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import (
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    User,
)
from telegram.constants import InlineKeyboardButtonLimit

from bot.handlers import editors
from bot.handlers.admins import registration as admins
from bot.handlers.membership import may_post
from bot.handlers.readers.keyboards import PREFIX, topic_from_token, topic_token, topics_keyboard
from bot.handlers.readers.menu import COMMANDS, commands_for
from bot.newsroom.readers import (
    ALL_TOPICS,
    Reader,
    find_topic,
    status_for,
    toggled,
    with_topic,
    without_topic,
)
from bot.newsroom.roles import Role

AVAILABLE = ("economy", "politics", "sport")
ALL = frozenset({ALL_TOPICS})
BOT = User(id=123456, first_name="Newsbot", is_bot=True)


def test_subscribing_to_everything_replaces_a_list_of_topics() -> None:
    assert with_topic(frozenset({"sport"}), ALL_TOPICS) == ALL


def test_subscribing_to_one_topic_adds_it() -> None:
    assert with_topic(frozenset({"sport"}), "economy") == {"sport", "economy"}


def test_subscribing_to_one_topic_while_subscribed_to_all_changes_nothing() -> None:
    assert with_topic(ALL, "sport") == ALL


def test_unsubscribing_from_everything_leaves_nothing() -> None:
    assert without_topic(frozenset({"sport", "economy"}), ALL_TOPICS, AVAILABLE) == frozenset()


def test_unsubscribing_one_topic_out_of_all_keeps_the_others() -> None:
    assert without_topic(ALL, "sport", AVAILABLE) == {"economy", "politics"}


def test_unsubscribing_one_topic_removes_only_it() -> None:
    assert without_topic(frozenset({"sport", "economy"}), "sport", AVAILABLE) == {"economy"}


def test_a_button_switches_an_unchosen_topic_on() -> None:
    assert toggled(frozenset(), "sport", AVAILABLE) == {"sport"}


def test_a_button_switches_a_chosen_topic_off() -> None:
    assert toggled(frozenset({"sport"}), "sport", AVAILABLE) == frozenset()


def test_a_topic_button_under_all_topics_switches_that_topic_off() -> None:
    assert toggled(ALL, "politics", AVAILABLE) == {"economy", "sport"}


def test_the_all_topics_button_switches_everything_on_then_off() -> None:
    assert toggled(frozenset({"sport"}), ALL_TOPICS, AVAILABLE) == ALL
    assert toggled(ALL, ALL_TOPICS, AVAILABLE) == frozenset()


def test_a_reader_with_no_topic_left_has_left() -> None:
    assert status_for("active", frozenset()) == ("left", "left")


def test_a_reader_who_had_left_and_chooses_a_topic_has_returned() -> None:
    assert status_for("left", frozenset({"sport"})) == ("active", "returned")


def test_an_active_reader_changing_topics_stays_active() -> None:
    assert status_for("active", frozenset({"sport"})) is None


def test_topic_names_match_case_insensitively_and_all_means_every_topic() -> None:
    assert find_topic("SPORT", AVAILABLE) == "sport"
    assert find_topic(" all ", AVAILABLE) == ALL_TOPICS
    assert find_topic("*", AVAILABLE) == ALL_TOPICS
    assert find_topic("weather", AVAILABLE) is None


@pytest.mark.parametrize(
    "topic", ["sport", "Экономика", "Қоғам және саясат", "x" * 64, "ж" * 40, "#hashtag"]
)
def test_topic_callback_data_fits_telegram_and_comes_back(topic: str) -> None:
    data = f"{PREFIX}t:{topic_token(topic)}"
    assert len(data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    assert topic_from_token(topic_token(topic), [*AVAILABLE, topic]) == topic


def test_a_token_for_a_topic_that_no_longer_exists_is_refused() -> None:
    assert topic_from_token(topic_token("weather"), AVAILABLE) is None
    assert topic_from_token("#forged0000000000", AVAILABLE) is None


def test_the_topic_keyboard_marks_the_choice_and_every_button_is_valid_data() -> None:
    reader = Reader(123, "en", "active", frozenset({"sport"}), AVAILABLE)
    rows = topics_keyboard(reader).inline_keyboard
    labels = [button.text for row in rows for button in row]
    assert labels == ["All topics", "economy", "politics", "✅ sport", "Done"]
    for row in rows:
        assert len(row) <= 8
        for button in row:
            assert button.callback_data is not None
            assert len(str(button.callback_data).encode()) <= 64


def test_under_all_topics_every_topic_shows_as_chosen() -> None:
    reader = Reader(123, "ru", "active", ALL, AVAILABLE)
    labels = [button.text for row in topics_keyboard(reader).inline_keyboard for button in row]
    assert labels == ["✅ Все темы", "✅ economy", "✅ politics", "✅ sport", "Готово"]


def _admin(can_post: bool) -> ChatMemberAdministrator:
    """The bot as a channel admin, as Telegram describes it in my_chat_member."""
    data = {"status": "administrator", "user": BOT.to_dict(), "can_post_messages": can_post}
    for right in ADMIN_RIGHTS:
        data.setdefault(right, False)
    member = ChatMemberAdministrator.de_json(data, None)
    assert isinstance(member, ChatMemberAdministrator)
    return member


def _restricted(can_send: bool) -> ChatMemberRestricted:
    data = {"status": "restricted", "user": BOT.to_dict(), "is_member": True, "until_date": 0}
    for flag in RESTRICTIONS:
        data[flag] = False
    data["can_send_messages"] = can_send
    member = ChatMemberRestricted.de_json(data, None)
    assert isinstance(member, ChatMemberRestricted)
    return member


ADMIN_RIGHTS = """can_be_edited is_anonymous can_manage_chat can_delete_messages
    can_manage_video_chats can_restrict_members can_promote_members can_change_info
    can_invite_users can_post_stories can_edit_stories can_delete_stories""".split()  # noqa: SIM905
RESTRICTIONS = """can_change_info can_invite_users can_pin_messages can_send_polls
    can_send_other_messages can_add_web_page_previews can_manage_topics can_send_audios
    can_send_documents can_send_photos can_send_videos can_send_video_notes
    can_send_voice_notes can_edit_tag can_react_to_messages""".split()  # noqa: SIM905


def test_in_a_channel_the_bot_posts_only_as_an_admin_with_posting_rights() -> None:
    assert may_post(_admin(True), "channel")
    assert not may_post(_admin(False), "channel")
    assert not may_post(ChatMemberMember(BOT), "channel")
    assert may_post(ChatMemberOwner(BOT, is_anonymous=False), "channel")


def test_in_a_group_a_member_posts_unless_restricted_or_gone() -> None:
    assert may_post(ChatMemberMember(BOT), "group")
    assert may_post(_admin(False), "supergroup")
    assert not may_post(_restricted(False), "supergroup")
    assert may_post(_restricted(True), "supergroup")
    assert not may_post(ChatMemberLeft(BOT), "group")
    assert not may_post(ChatMemberBanned(BOT, until_date=datetime.now(UTC)), "supergroup")


def test_help_lists_readers_commands_to_a_reader() -> None:
    assert commands_for(Role.READER) == COMMANDS


def test_help_adds_editors_commands_for_an_editor_and_everything_for_an_admin() -> None:
    assert set(commands_for(Role.EDITOR)) == {*COMMANDS, *editors.COMMANDS}
    assert set(commands_for(Role.ADMIN)) == {*COMMANDS, *editors.COMMANDS, *admins.COMMANDS}
