"""Taking breaking news back: /recall (with confirmation, the 48-hour rule) and /correct."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from bot.newsroom.breaking import changes as breaking
from bot.sandbox.emulator import BotApiEmulator
from storage.models import Chat, Delivery
from tests.harness import RunningBot, running_bot
from tests.integration.test_breaking import (
    CHANNEL,
    EDITOR,
    ROLES,
    STRANGER,
    add_audience,
    add_staff,
    answers_for,
    audit_actions,
    data_of,
    first_row,
    post_id_of,
    post_state,
    preview_of,
    publish,
    wait_delivered,
    wait_for_text,
)

READERS = (301, 302)
EVERYONE = (CHANNEL, *READERS)


async def published(emulator: BotApiEmulator, text: str, count: int = 1) -> int:
    """Preview, publish, wait until every chat has it; return the post id."""
    preview = await preview_of(emulator, text)
    post_id = post_id_of(data_of(preview, "brk:pub:"))
    await publish(emulator, preview)
    await wait_delivered(emulator, EVERYONE, count)
    await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")
    return post_id


async def command(emulator: BotApiEmulator, text: str, user: int = EDITOR) -> Any:
    """Send a command and return the bot's reply."""
    before = len(emulator.messages(user))
    emulator.send_text(user, text)
    return (await emulator.wait_for_messages(user, before + 1))[-1]


async def statuses(running: RunningBot, post_id: int) -> dict[int, str]:
    async with running.services.sessions() as session:
        rows = await session.execute(
            select(Delivery.chat_id, Delivery.status).where(Delivery.post_id == post_id)
        )
        return {chat_id: status for chat_id, status in rows.all()}


async def test_recall_deletes_everywhere_and_reports_what_is_too_old(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=READERS)
        post_id = await published(emulator, "Wrong figures")
        old = emulator.messages(302)[0]
        emulator.age_message(302, old.message_id, hours=49)  # past Telegram's 48 hours

        prompt = await command(emulator, "/recall")
        assert f"#{post_id}" in prompt.text and "Wrong figures" in prompt.text
        confirm = first_row(prompt)[0]["callback_data"]
        assert confirm == f"brk:rcl:{post_id}"

        # Nobody but an editor may confirm it.
        refused = emulator.press_button(STRANGER, EDITOR, prompt.message_id, confirm)
        assert await answers_for(emulator, refused) == "Only editors can do this."
        assert await post_state(running, post_id) == "published"

        query = emulator.press_button(EDITOR, EDITOR, prompt.message_id, confirm)
        assert await answers_for(emulator, query) == "Recalling…"
        report = await wait_for_text(emulator, EDITOR, prompt.message_id, r"recalled:")
        assert "deleted in 2 of 3 chats" in report
        assert "Older than 48 hours, not deleted: 1" in report

        assert emulator.messages(CHANNEL) == []
        assert emulator.messages(301) == []
        assert [m.message_id for m in emulator.messages(302)] == [old.message_id]
        assert await post_state(running, post_id) == "recalled"
        assert sorted((await statuses(running, post_id)).values()) == ["deleted", "deleted", "sent"]
        assert (await audit_actions(running))[-1] == ("recalled", EDITOR, 2)

        # A replayed confirmation does nothing more.
        again = emulator.press_button(EDITOR, EDITOR, prompt.message_id, confirm, strict=False)
        assert await answers_for(emulator, again) == "This post has already been recalled."
        assert [a for a, _, _ in await audit_actions(running)].count("recalled") == 1


async def test_recall_lets_the_editor_choose_an_older_post(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=READERS)
        older = await published(emulator, "Older story", 1)
        newer = await published(emulator, "Newer story", 2)

        prompt = await command(emulator, "/recall")
        assert f"#{newer}" in prompt.text and "older post" in prompt.text
        pick = data_of(prompt, f"brk:pick:{older}")
        query = emulator.press_button(EDITOR, EDITOR, prompt.message_id, pick)
        await answers_for(emulator, query)
        chosen = await wait_for_text(emulator, EDITOR, prompt.message_id, f"#{older} ")
        assert "Older story" in chosen
        confirm = first_row(emulator.message(EDITOR, prompt.message_id))[0]["callback_data"]
        assert confirm == f"brk:rcl:{older}"

        emulator.press_button(EDITOR, EDITOR, prompt.message_id, confirm)
        await wait_for_text(emulator, EDITOR, prompt.message_id, r"deleted in 3 of 3 chats")
        for chat_id in EVERYONE:
            [left] = emulator.messages(chat_id)
            assert "Newer story" in left.text
        assert await post_state(running, older) == "recalled"
        assert await post_state(running, newer) == "published"


async def test_keep_it_recalls_nothing(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=READERS)
        post_id = await published(emulator, "Stays")
        prompt = await command(emulator, "/recall")
        keep = first_row(prompt)[1]["callback_data"]
        emulator.press_button(EDITOR, EDITOR, prompt.message_id, keep)
        await wait_for_text(emulator, EDITOR, prompt.message_id, "Nothing was recalled")
        assert await post_state(running, post_id) == "published"
        for chat_id in EVERYONE:
            assert len(emulator.messages(chat_id)) == 1


async def test_recall_with_nothing_published_says_so(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, **ROLES):
        add_staff(emulator)
        reply = await command(emulator, "/recall")
        assert reply.text == "There is no published breaking post."


async def test_correct_edits_the_text_in_every_chat_and_reports_failures(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=READERS)
        post_id = await published(emulator, "Three hurt in the <blast>")
        # One reader has deleted the message meanwhile.
        emulator.fail_next(
            "editMessageText", 400, "Bad Request: message to edit not found", chat_id=302
        )
        status = await command(emulator, "/correct Five hurt in the <blast> & fire")
        report = await wait_for_text(emulator, EDITOR, status.message_id, r"corrected:")
        assert f"Post #{post_id} corrected: edited in 2 of 3 chats." in report
        assert "Already removed by the reader: 1" in report

        for chat_id in (CHANNEL, 301):
            [message] = emulator.messages(chat_id)
            assert "Five hurt in the <blast> & fire" in message.text  # literally, as a new post
            assert message.edits, "the message was edited in place"
        [untouched] = emulator.messages(302)
        assert "Three hurt" in untouched.text
        assert (await audit_actions(running))[-1] == ("corrected", EDITOR, 2)


async def test_correct_edits_a_photo_posts_caption(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=READERS)
        emulator.send_photo_message(EDITOR, caption="/breaking Flood in Semey")
        [preview] = await emulator.wait_for_messages(EDITOR, 1)
        await publish(emulator, preview)
        await wait_delivered(emulator, EVERYONE)
        await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")

        status = await command(emulator, "/correct Flood in Semey: roads closed")
        report = await wait_for_text(emulator, EDITOR, status.message_id, r"corrected:")
        assert "edited in 3 of 3 chats" in report
        for chat_id in EVERYONE:
            [message] = emulator.messages(chat_id)
            assert message.kind == "photo"
            assert "Flood in Semey: roads closed" in message.text
        assert [a for a, _, _ in await audit_actions(running)][-1] == "corrected"


async def test_correct_without_a_published_post_or_text_says_so(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES):
        add_staff(emulator)
        assert "/correct TEXT" in (await command(emulator, "/correct")).text
        nothing = await command(emulator, "/correct New text")
        assert nothing.text == "There is no published breaking post."


async def test_a_recall_during_the_broadcast_leaves_the_post_nowhere(
    emulator: BotApiEmulator, db_url: str
) -> None:
    readers = tuple(range(401, 413))
    # A slow pace, so the recall comes while most deliveries are still queued.
    async with running_bot(emulator, db_url, delivery={"rate": 4}, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=readers)
        preview = await preview_of(emulator, "Sent by mistake")
        post_id = post_id_of(data_of(preview, "brk:pub:"))
        await publish(emulator, preview)

        prompt = await command(emulator, "/recall")
        emulator.press_button(EDITOR, EDITOR, prompt.message_id, f"brk:rcl:{post_id}")
        report = await wait_for_text(emulator, EDITOR, prompt.message_id, r"recalled:")

        for chat_id in (CHANNEL, *readers):
            assert emulator.messages(chat_id) == [], f"chat {chat_id} still shows the post"
        assert set((await statuses(running, post_id)).values()) == {"deleted"}
        if "Not yet sent" in report:  # the pace makes this all but certain; never required
            assert "now never sent" in report
        # Nothing is sent after the recall, however long the worker keeps running.
        assert await running.pending_deliveries() == 0


async def test_a_correction_during_the_broadcast_reaches_every_chat(
    emulator: BotApiEmulator, db_url: str
) -> None:
    readers = tuple(range(501, 511))
    async with running_bot(emulator, db_url, delivery={"rate": 4}, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=readers)
        preview = await preview_of(emulator, "Typo in the nmae")
        await publish(emulator, preview)

        status = await command(emulator, "/correct Typo in the name")
        report = await wait_for_text(emulator, EDITOR, status.message_id, r"corrected:")
        assert "edited in 11 of 11 chats" in report

        for chat_id in (CHANNEL, *readers):
            [message] = emulator.messages(chat_id)
            assert "Typo in the name" in message.text, f"chat {chat_id}: {message.text!r}"


async def test_a_send_stuck_in_flight_is_dropped_by_the_recall_not_resent_later(
    emulator: BotApiEmulator, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(breaking, "IN_FLIGHT_WAIT", 0.5)  # seconds, rather than a minute
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=READERS)
        post_id = await published(emulator, "Stuck somewhere")
        async with running.services.sessions() as session:
            # A worker claimed this chat's delivery and died before Telegram answered.
            await session.execute(
                update(Delivery)
                .where(Delivery.post_id == post_id, Delivery.chat_id == select_reader(302))
                .values(status="sending", message_id=None)
            )
            await session.commit()

        prompt = await command(emulator, "/recall")
        emulator.press_button(EDITOR, EDITOR, prompt.message_id, f"brk:rcl:{post_id}")
        report = await wait_for_text(emulator, EDITOR, prompt.message_id, r"recalled:")
        assert "deleted in 2 of 3 chats" in report and "Failed: 1" in report
        assert set((await statuses(running, post_id)).values()) == {"deleted"}
        assert await running.pending_deliveries() == 0


def select_reader(telegram_id: int) -> Any:
    return select(Chat.id).where(Chat.telegram_id == telegram_id).scalar_subquery()
