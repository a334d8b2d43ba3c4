"""The real python-telegram-bot against the emulator: sends, edits, deletes, files, errors."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.request import HTTPXRequest

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.feedserver import FeedServer
from bot.sandbox.media import make_image
from tests.sandbox.conftest import CHANNEL, READER

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Read", url="https://dala.kz/en/news/1"),
            InlineKeyboardButton("👍", callback_data="like:1"),
        ]
    ]
)


async def test_send_html_message_is_recorded_as_telegram_shows_it(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(
        CHANNEL,
        '<b>Breaking</b>: <a href="https://dala.kz/1">read</a> &amp; share',
        parse_mode="HTML",
        reply_markup=KEYBOARD,
        disable_notification=True,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert sent.text == "Breaking: read & share"
    assert sent.chat.username == "dala_news"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == KEYBOARD
    (msg,) = emu.messages(CHANNEL)
    assert msg.message_id == sent.message_id
    assert msg.kind == "text"
    assert msg.html.startswith("<b>Breaking</b>")
    assert msg.disable_notification is True
    assert msg.link_preview_options == {"is_disabled": True}
    assert msg.buttons()[1]["callback_data"] == "like:1"
    assert "Breaking: read & share" in emu.transcript()


async def test_channel_username_resolves(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    await bot.send_message("@dala_news", "hello")
    assert [m.text for m in emu.messages(CHANNEL)] == ["hello"]


async def test_paid_broadcast_flag_is_recorded(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    await bot.send_message(READER, "paid", allow_paid_broadcast=True)
    assert emu.messages(READER)[0].allow_paid_broadcast is True


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<div>x</div>", 'Can\'t parse entities: unsupported start tag "div" at byte offset 0'),
        ("<b>x", "Can't parse entities: can't find end tag corresponding to start tag \"b\""),
        ("   ", "Message text is empty"),
        ("<b></b>", "Message text is empty"),
        ("x" * 4097, "Message is too long"),
        ("😀" * 2049, "Message is too long"),
    ],
)
async def test_bad_text_is_rejected_like_telegram(bot: telegram.Bot, text: str, error: str) -> None:
    with pytest.raises(BadRequest) as err:
        await bot.send_message(READER, text, parse_mode="HTML")
    assert err.value.message == error


async def test_4096_visible_characters_fit_even_with_markup(bot: telegram.Bot) -> None:
    sent = await bot.send_message(READER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert sent.text == "x" * 4096


async def test_caption_limit(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(READER, make_image(100, 100), caption="y" * 1025)


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (InlineKeyboardButton("x", callback_data="z" * 65), "Button_data_invalid"),
        (InlineKeyboardButton("x", url="ftp://dala.kz"), "is invalid"),
    ],
)
async def test_bad_buttons_are_rejected(
    bot: telegram.Bot, button: InlineKeyboardButton, error: str
) -> None:
    with pytest.raises(BadRequest, match=error):
        await bot.send_message(READER, "x", reply_markup=InlineKeyboardMarkup([[button]]))


async def test_unknown_chat(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "x")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message("@nobody_here", "x")
    emu.add_user(77, username="dana")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message("@dana", "users are not addressed by username")


async def test_blocked_deactivated_and_never_started_users(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    emu.add_user(2, started=False)
    emu.add_user(3)
    emu.block(READER)
    emu.deactivate(3)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(READER, "x")
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(3, "x")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(2, "x")
    emu.unblock(READER)
    await bot.send_message(READER, "welcome back")


async def test_channel_rights(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.add_channel(-1002, username=None, bot_status="left")
    emu.add_channel(-1003, username=None, can_post_messages=False)
    emu.add_channel(-1004, username=None, bot_status="kicked")
    with pytest.raises(Forbidden, match="bot is not a member of the channel chat"):
        await bot.send_message(-1002, "x")
    with pytest.raises(BadRequest, match="Need administrator rights in the channel chat"):
        await bot.send_message(-1003, "x")
    with pytest.raises(Forbidden, match="bot was kicked from the channel chat"):
        await bot.send_message(-1004, "x")


async def test_migrated_group_raises_chat_migrated(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.add_group(-500, title="Editors")
    emu.migrate_group(-500, -1009)
    with pytest.raises(ChatMigrated) as err:
        await bot.send_message(-500, "x")
    assert err.value.new_chat_id == -1009
    await bot.send_message(-1009, "moved")
    assert emu.messages(-1009)[0].text == "moved"


async def test_injected_429_becomes_retry_after(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.fail_next("sendMessage", 429, chat_id=READER, retry_after=7)
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(READER, "x")
    assert err.value.retry_after == dt.timedelta(seconds=7)
    assert emu.rejected_429 == 1
    await bot.send_message(READER, "second try")  # the fault was used up
    assert emu.count("sendMessage") == 2


async def test_injected_500_and_chat_filter(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.fail_next("sendMessage", 500, "Internal Server Error", chat_id=CHANNEL, times=2)
    await bot.send_message(READER, "other chat is fine")
    for _ in range(2):
        with pytest.raises(telegram.error.NetworkError):
            await bot.send_message(CHANNEL, "x")
    await bot.send_message(CHANNEL, "recovered")
    assert [m.text for m in emu.messages(CHANNEL)] == ["recovered"]


async def test_wrong_token_and_unknown_method(emu: BotApiEmulator) -> None:
    requests = (HTTPXRequest(), HTTPXRequest())
    stranger = telegram.Bot(
        "999:WRONG", base_url=emu.base_url, request=requests[0], get_updates_request=requests[1]
    )
    try:
        with pytest.raises(InvalidToken):
            await stranger.get_me()
    finally:
        for request in requests:  # Bot.shutdown() skips a bot that never initialized
            await request.shutdown()
    async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": READER})


async def test_photo_by_url_upload_and_file_id(
    emu: BotApiEmulator, bot: telegram.Bot, feeds: FeedServer
) -> None:
    feeds.put_image("/p/lead.jpg", 1200, 675)
    by_url = await bot.send_photo(
        CHANNEL, feeds.url("/p/lead.jpg"), caption="<b>Lead</b>", parse_mode="HTML"
    )
    assert (by_url.photo[-1].width, by_url.photo[-1].height) == (1200, 675)
    assert by_url.caption == "Lead"
    uploaded = await bot.send_photo(CHANNEL, make_image(800, 600, color=(1, 2, 3)))
    again = await bot.send_photo(READER, by_url.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == by_url.photo[-1].file_unique_id
    sources = [(m.photo or {}).get("source") for m in emu.messages(CHANNEL) + emu.messages(READER)]
    assert sources == ["url", "upload", "file_id"]
    assert uploaded.photo[-1].width == 800
    assert (emu.messages(CHANNEL)[0].photo or {}).get("url") == feeds.url("/p/lead.jpg")
    downloaded = await (await bot.get_file(uploaded.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == make_image(800, 600, color=(1, 2, 3))


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("html", "Wrong type of the web page content"),
        ("missing", "Failed to get http url content"),
        ("broken", "Wrong type of the web page content"),
        ("huge", "Failed to get http url content"),
        ("file_id", "Wrong file identifier/http url specified"),
    ],
)
async def test_bad_photos_are_rejected(
    bot: telegram.Bot, feeds: FeedServer, setup: str, error: str
) -> None:
    feeds.put("/page.html", "<html></html>", content_type="text/html")
    feeds.put("/broken.jpg", b"\xff\xd8 not really a jpeg", content_type="image/jpeg")
    feeds.put("/huge.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024), content_type="image/jpeg")
    photo = {
        "html": feeds.url("/page.html"),
        "missing": feeds.url("/nothing.jpg"),
        "broken": feeds.url("/broken.jpg"),
        "huge": feeds.url("/huge.jpg"),
        "file_id": "AgACAgIAAxkBAAIunknown",
    }[setup]
    with pytest.raises(BadRequest) as err:
        await bot.send_photo(CHANNEL, photo)
    assert err.value.message == error


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size but holds no pixels: cheap, and enough for Pillow's open."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "photo",
    [
        pytest.param(make_image(2100, 100), id="aspect ratio over 20"),
        pytest.param(png_header(6000, 4500), id="width plus height over 10000"),
    ],
)
async def test_uploaded_photo_dimensions(bot: telegram.Bot, photo: bytes) -> None:
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(READER, photo)


async def test_undecodable_upload(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(READER, b"GIF89a nonsense")


async def test_document_export_round_trip(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    sent = await bot.send_document(READER, b"url,title\n", filename="feeds.csv", caption="Export")
    assert sent.document is not None and sent.document.file_name == "feeds.csv"
    msg = emu.messages(READER)[0]
    assert msg.document is not None
    assert (msg.kind, msg.text, msg.document["mime_type"]) == ("document", "Export", "text/csv")


async def test_edit_text_caption_and_markup(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    sent = await bot.send_message(CHANNEL, "draft", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "<i>final</i>", CHANNEL, sent.message_id, parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "final"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<i>final</i>", CHANNEL, sent.message_id, parse_mode="HTML", reply_markup=KEYBOARD
        )
    await bot.edit_message_reply_markup(CHANNEL, sent.message_id, reply_markup=None)
    msg = emu.messages(CHANNEL)[0]
    assert (msg.text, msg.reply_markup) == ("final", None)
    assert [e.text for e in msg.edits] == ["draft", "final"]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", CHANNEL, 999)
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(CHANNEL, sent.message_id, caption="c")
    photo = await bot.send_photo(CHANNEL, make_image(90, 90), caption="old")
    await bot.edit_message_caption(CHANNEL, photo.message_id, caption="new")
    assert emu.messages(CHANNEL)[1].text == "new"


async def test_delete_and_48_hour_rule(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    first = await bot.send_message(CHANNEL, "one")
    second = await bot.send_message(CHANNEL, "two")
    assert await bot.delete_message(CHANNEL, first.message_id)
    assert emu.messages(CHANNEL)[0].text == "two"
    assert emu.messages(CHANNEL, include_deleted=True)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(CHANNEL, first.message_id)
    emu.age_message(CHANNEL, second.message_id, hours=48)
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(CHANNEL, second.message_id)
    third = await bot.send_message(CHANNEL, "three")
    assert await bot.delete_messages(CHANNEL, [third.message_id, 12345])
    assert [m.text for m in emu.messages(CHANNEL)] == ["two"]


async def test_chat_info_members_and_commands(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.add_user(7, first_name="Editor")
    emu.set_member(CHANNEL, 7, "creator")
    chat = await bot.get_chat(CHANNEL)
    assert (chat.type, chat.title) == ("channel", "Dala News")
    me = await bot.get_chat_member(CHANNEL, emu.bot_id)
    assert isinstance(me, telegram.ChatMemberAdministrator)
    assert me.can_post_messages
    owner = await bot.get_chat_member(CHANNEL, 7)
    assert isinstance(owner, telegram.ChatMemberOwner)
    admins = await bot.get_chat_administrators(CHANNEL)
    assert {a.user.id for a in admins} == {7, emu.bot_id}
    await bot.set_my_commands([("start", "Start"), ("help", "Help")], language_code="ru")
    commands = await bot.get_my_commands(language_code="ru")
    assert [c.command for c in commands] == ["start", "help"]
    assert emu.commands(language_code="ru")[1]["description"] == "Help"
    await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == ()
    info = await bot.get_webhook_info()
    assert info.url == ""
    assert await bot.log_out()
    assert await bot.close()


async def test_text_is_trimmed_like_telegram(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    sent = await bot.send_message(READER, "\n\n <b>Title</b>\n", parse_mode="HTML")
    assert sent.text == "Title"
    assert sent.entities[0].offset == 0


async def test_replies_need_an_existing_message(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    incoming = emu.send_text(READER, "question")
    answer = await bot.send_message(
        READER, "answer", reply_parameters=telegram.ReplyParameters(incoming["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question"
    assert emu.messages(READER)[0].reply_to_message_id == incoming["message_id"]
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(READER, "x", reply_parameters=telegram.ReplyParameters(999))
    lenient = telegram.ReplyParameters(999, allow_sending_without_reply=True)
    assert (await bot.send_message(READER, "x", reply_parameters=lenient)).reply_to_message is None


async def test_chat_action(bot: telegram.Bot) -> None:
    assert await bot.send_chat_action(READER, "typing")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(READER, "dancing")


async def test_slow_answer_times_out_but_the_message_is_sent(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    emu.delay_next("sendMessage", 0.3, chat_id=READER)
    with pytest.raises(telegram.error.TimedOut):
        await bot.send_message(READER, "maybe sent", read_timeout=0.05)
    (msg,) = await emu.wait_for_messages(READER, 1)
    assert msg.text == "maybe sent"
    await bot.send_message(READER, "fast again", read_timeout=1)


async def test_transcript_shows_each_chat_with_links_buttons_and_flags(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    await bot.send_photo(
        CHANNEL,
        make_image(320, 180),
        caption='<b>Title</b>\n\n<a href="https://dala.kz/1">Dala News</a>',
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    sent = await bot.send_message(READER, "Welcome", disable_notification=True)
    await bot.edit_message_text("Welcome!", READER, sent.message_id)
    assert emu.transcript() == (
        f'=== channel "Dala News" @dala_news (id {CHANNEL}): 1 message(s) ===\n'
        "--- #1 photo 320x180 from upload\n"
        "    Title\n"
        "\n"
        "    Dala News\n"
        "    links: [Dala News -> https://dala.kz/1]\n"
        "    buttons: [Read -> https://dala.kz/en/news/1] [👍 -> callback:like:1]\n"
        "\n"
        f'=== private chat with "Aigerim" (id {READER}): 1 message(s) ===\n'
        "--- #1 text (silent, edited 1x)\n"
        "    Welcome!\n"
    )


async def test_dropped_connection_is_a_network_error_and_sends_nothing(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    emu.disconnect_next("sendMessage", chat_id=READER)
    with pytest.raises(telegram.error.NetworkError):
        await bot.send_message(READER, "lost")
    assert emu.messages(READER) == []
    await bot.send_message(READER, "delivered")
    assert [m.text for m in emu.messages(READER)] == ["delivered"]


async def test_edit_media_replaces_the_photo_and_caption(
    emu: BotApiEmulator, bot: telegram.Bot, feeds: FeedServer
) -> None:
    old_url = feeds.url("/old.jpg")
    new_url = feeds.url("/new.jpg")
    feeds.put_image("/old.jpg", 400, 300, color=(10, 10, 10))
    feeds.put_image("/new.jpg", 400, 300, color=(200, 30, 30))
    sent = await bot.send_photo(CHANNEL, old_url, caption="<b>old</b>", parse_mode="HTML")
    media = telegram.InputMediaPhoto(new_url, caption="<b>new</b>", parse_mode="HTML")
    await bot.edit_message_media(media, CHANNEL, sent.message_id)
    msg = emu.messages(CHANNEL)[0]
    assert (msg.text, msg.photo and msg.photo["url"]) == ("new", new_url)
    assert [e.text for e in msg.edits] == ["old"]
    same = telegram.InputMediaPhoto(new_url, caption="<b>new</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_media(same, CHANNEL, sent.message_id)
    text = await bot.send_message(CHANNEL, "plain")
    with pytest.raises(BadRequest, match="There is no media in the message to edit"):
        await bot.edit_message_media(media, CHANNEL, text.message_id)
