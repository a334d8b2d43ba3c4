"""Updates reach a real PTB Application through long polling."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox.emulator import BotApiEmulator
from tests.sandbox.conftest import CHANNEL, READER

Context = ContextTypes.DEFAULT_TYPE


@pytest.fixture
async def app(emu: BotApiEmulator) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    seen: list[str] = []
    application.bot_data["seen"] = seen

    async def start(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        seen.append(f"start:{context.args}")
        await update.effective_message.reply_html(
            "<b>Welcome</b>",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]]),
        )

    async def pressed(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and isinstance(query.message, telegram.Message)
        seen.append(f"pressed:{query.data}:{query.message.text}")
        await query.answer("Saved", show_alert=True)

    async def member(update: Update, context: Context) -> None:
        change = update.my_chat_member
        assert change is not None
        seen.append(
            f"member:{change.chat.id}:{change.old_chat_member.status}->"
            f"{change.new_chat_member.status}"
        )

    async def document(update: Update, context: Context) -> None:
        assert update.message is not None and update.message.document is not None
        file = await update.message.document.get_file()
        seen.append(f"document:{bytes(await file.download_as_bytearray()).decode()}")

    async def photo(update: Update, context: Context) -> None:
        assert update.message is not None
        file = await update.message.photo[-1].get_file()
        seen.append(f"photo:{update.message.caption}:{len(await file.download_as_bytearray()) > 0}")

    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    application.add_handler(ChatMemberHandler(member))
    application.add_handler(MessageHandler(filters.Document.ALL, document))
    application.add_handler(MessageHandler(filters.PHOTO, photo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


def seen(app: Application) -> list[str]:
    return app.bot_data["seen"]


async def test_command_reply_and_button_press(emu: BotApiEmulator, app: Application) -> None:
    emu.send_text(READER, "/start promo")
    (welcome,) = await emu.wait_for_messages(READER, 1)
    assert welcome.text == "Welcome"
    emu.press_button(READER, READER, welcome.message_id, "y")
    await emu.wait_until(lambda: len(emu.callback_answers) == 1)
    assert emu.callback_answers[0]["text"] == "Saved"
    assert emu.callback_answers[0]["show_alert"] is True
    assert seen(app) == ["start:['promo']", "pressed:y:Welcome"]


async def test_command_with_bot_username(emu: BotApiEmulator, app: Application) -> None:
    emu.add_group(-300, title="Editors")
    emu.send_text(READER, "/start@newsbot_test_bot", chat_id=-300)
    await emu.wait_for_messages(-300, 1)


async def test_membership_changes_arrive(emu: BotApiEmulator, app: Application) -> None:
    emu.add_channel(-1005, username="@other", bot_status="left")
    emu.set_bot_status(-1005, "administrator")
    emu.block(READER)
    emu.set_bot_status(CHANNEL, "kicked")
    await emu.wait_until(lambda: len(seen(app)) == 3)
    assert seen(app) == [
        "member:-1005:left->administrator",
        f"member:{READER}:member->kicked",
        f"member:{CHANNEL}:administrator->kicked",
    ]


async def test_files_from_users_can_be_downloaded(emu: BotApiEmulator, app: Application) -> None:
    emu.send_document(READER, "feeds.opml", b"<opml/>", "text/x-opml")
    emu.send_photo_message(READER, "/suggest look")
    await emu.wait_until(lambda: len(seen(app)) == 2)
    assert seen(app) == ["document:<opml/>", "photo:/suggest look:True"]


async def test_pressing_a_missing_button_is_a_test_error(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(CHANNEL, "no buttons")
    with pytest.raises(ValueError, match="no button"):
        emu.press_button(READER, CHANNEL, sent.message_id, "x")
    query_id = emu.press_button(READER, CHANNEL, sent.message_id, "x", strict=False)
    await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_get_updates_offset_and_allowed_updates(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    emu.send_text(READER, "one")
    emu.block(READER)
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [1, 2]
    emu.unblock(READER)  # created before the bot narrows allowed_updates: still delivered
    assert len(await bot.get_updates(offset=3, allowed_updates=["message"], timeout=0)) == 1
    emu.block(READER)  # not created at all now
    emu.send_text(READER, "two")
    later = await bot.get_updates(offset=4, timeout=0)
    assert [u.message.text for u in later if u.message] == ["two"]
    assert len(later) == 1


async def test_webhook_blocks_get_updates(bot: telegram.Bot) -> None:
    await bot.set_webhook("https://example.invalid/hook")
    with pytest.raises(telegram.error.Conflict):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_a_wait_that_times_out_says_what_happened(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    await bot.send_message(CHANNEL, "only this")
    with pytest.raises(AssertionError) as err:
        await emu.wait_for_messages(READER, 1, timeout=0.05)
    assert "got 0" in str(err.value)
    assert "'sendMessage': 1" in str(err.value)
    with pytest.raises(AssertionError, match="not met within"):
        await emu.wait_until(lambda: False, timeout=0.05)


async def test_writing_to_the_bot_unblocks_it_first(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.block(READER)
    emu.send_text(READER, "/start")
    updates = await bot.get_updates(timeout=0)
    kinds = [
        (u.my_chat_member.new_chat_member.status if u.my_chat_member else "message")
        for u in updates
    ]
    assert kinds == ["kicked", "member", "message"]
    await bot.send_message(READER, "welcome back")


async def test_privacy_mode_in_groups(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.add_group(-400, title="Newsroom")
    emu.add_group(-401, title="Admins", bot_status="administrator")
    emu.send_text(READER, "chatter the bot doesn't see", chat_id=-400)
    emu.send_text(READER, "/help", chat_id=-400)
    emu.send_text(READER, "hey @newsbot_test_bot", chat_id=-400)
    emu.send_text(READER, "an admin bot sees everything", chat_id=-401)
    texts = [u.message.text for u in await bot.get_updates(timeout=0) if u.message]
    assert texts == ["/help", "hey @newsbot_test_bot", "an admin bot sees everything"]
