"""Breaking news from the outside: an editor's /breaking, its preview and buttons, publication.

The real bot runs against the Bot API emulator and a real database; the
editor and the other users only type and press buttons in the emulator.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from bot.sandbox.emulator import BotApiEmulator
from storage.db import utcnow
from storage.models import AuditEntry, Chat, Delivery, Post, Subscription
from tests.harness import RunningBot, running_bot

EDITOR = 222
ADMIN = 111
READERS = (301, 302)
STRANGER = 999  # a user with no role
CHANNEL = -1001000000001
ROLES: dict[str, Any] = {"editors": [EDITOR], "admins": [ADMIN]}


# --------------------------------------------------------------------------- the world


async def add_audience(
    running: RunningBot, readers: Sequence[int] = READERS, channels: Sequence[int] = (CHANNEL,)
) -> None:
    """Readers subscribed to one topic each and target channels, in Telegram and in the database."""
    emulator = running.emulator
    async with running.services.sessions() as session:
        for number, user_id in enumerate(readers):
            emulator.add_user(user_id, f"Reader{user_id}", language_code="en")
            chat = Chat(
                telegram_id=user_id,
                kind="private",
                language="en",
                status="active",
                joined_at=utcnow(),
            )
            session.add(chat)
            await session.flush()
            topic = "politics" if number % 2 else "sport"  # breaking ignores topics
            session.add(Subscription(chat_id=chat.id, topic=topic, created_at=utcnow()))
        for channel_id in channels:
            emulator.add_channel(channel_id, username=f"@news{abs(channel_id) % 1000}")
            session.add(
                Chat(
                    telegram_id=channel_id,
                    kind="channel",
                    title="News",
                    status="active",
                    is_target=True,
                    joined_at=utcnow(),
                )
            )
        await session.commit()


def add_staff(emulator: BotApiEmulator) -> None:
    emulator.add_user(EDITOR, "Editor", language_code="en")
    emulator.add_user(ADMIN, "Admin", language_code="en")
    emulator.add_user(STRANGER, "Stranger", language_code="en")


# --------------------------------------------------------------------------- reading results


def data_of(message: Any, prefix: str) -> str:
    """The callback data of the message's button that starts with ``prefix``."""
    for button in message.buttons():
        data = button.get("callback_data") or ""
        if data.startswith(prefix):
            return str(data)
    raise AssertionError(f"no {prefix} button on message: {message.buttons()}")


def first_row(message: Any) -> list[dict[str, Any]]:
    return list(message.reply_markup["inline_keyboard"][0])


def post_id_of(data: str) -> int:
    return int(data.rsplit(":", 1)[1])


async def preview_of(emulator: BotApiEmulator, text: str, user: int = EDITOR) -> Any:
    """Send ``/breaking TEXT`` and return the preview message with buttons."""
    before = len(emulator.messages(user))
    emulator.send_text(user, f"/breaking {text}")
    messages = await emulator.wait_for_messages(user, before + 1)
    return messages[-1]


async def answers_for(emulator: BotApiEmulator, query_id: str) -> str | None:
    def answered() -> bool:
        return any(a["callback_query_id"] == query_id for a in emulator.callback_answers)

    await emulator.wait_until(answered, timeout=10)
    return next(a["text"] for a in emulator.callback_answers if a["callback_query_id"] == query_id)


async def publish(emulator: BotApiEmulator, preview: Any, user: int = EDITOR) -> str | None:
    query = emulator.press_button(
        user, preview.chat_id, preview.message_id, data_of(preview, "brk:pub:")
    )
    return await answers_for(emulator, query)


async def wait_delivered(emulator: BotApiEmulator, chats: Sequence[int], count: int = 1) -> None:
    for chat_id in chats:
        await emulator.wait_for_messages(chat_id, count, timeout=10)


async def wait_for_text(
    emulator: BotApiEmulator, chat_id: int, message_id: int, pattern: str
) -> str:
    """Wait until the message (as it is now, after edits) matches ``pattern``; return its text."""

    def matches() -> bool:
        return re.search(pattern, emulator.message(chat_id, message_id).text) is not None

    await emulator.wait_until(matches, timeout=15)
    return emulator.message(chat_id, message_id).text


async def audit_actions(running: RunningBot) -> list[tuple[str, int | None, int | None]]:
    async with running.services.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.user_id, AuditEntry.chats).order_by(AuditEntry.id)
        )
        return [(a, u, c) for a, u, c in rows.all()]


async def deliveries(running: RunningBot) -> int:
    async with running.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)


async def stored_post(running: RunningBot, post_id: int) -> Post:
    async with running.services.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return post


async def post_state(running: RunningBot, post_id: int) -> str:
    async with running.services.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return post.state


# --------------------------------------------------------------------------- preview


async def test_preview_shows_the_exact_post_literally_with_publish_then_cancel(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running)
        text = "<b>Quake</b> hits Almaty & Astana: see https://example.kz/quake now"
        preview = await preview_of(emulator, text)

        # The editor's text is shown literally: the tags stay visible, & stays &.
        assert "<b>Quake</b> hits Almaty & Astana" in preview.text
        assert "&lt;b&gt;Quake&lt;/b&gt;" in preview.html
        assert "Astana" in preview.text and "BREAKING" in preview.text
        # Its URL is a clickable link.
        linked = [e for e in preview.entities if e["type"] in ("url", "text_link")]
        assert linked, preview.entities
        # First button of the first row publishes, the second cancels.
        row = first_row(preview)
        assert row[0]["callback_data"].startswith("brk:pub:")
        assert row[1]["callback_data"].startswith("brk:can:")
        # Nothing went anywhere yet.
        assert emulator.messages(CHANNEL) == []
        assert await deliveries(running) == 0
        post_id = post_id_of(row[0]["callback_data"])
        assert await post_state(running, post_id) == "draft"
        post = await stored_post(running, post_id)
        assert post.url == "https://example.kz/quake"
        assert post.priority == 100 and post.author_id == EDITOR
        for _ in range(100):  # the handler stores where the preview is just after sending it
            if post.preview_message_id is not None:
                break
            await asyncio.sleep(0.05)
            post = await stored_post(running, post_id)
        assert post.preview_message_id == preview.message_id


async def test_publish_reaches_channels_and_every_reader_with_sound_and_progress(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=(301, 302, 303))
        # A reader who blocked the bot since: the send is refused, and counts as blocked.
        emulator.fail_next(
            "sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=303
        )
        preview = await preview_of(emulator, "Border closed at Khorgos")
        answer = await publish(emulator, preview)
        assert answer == "Publishing to 4 chats."

        await wait_delivered(emulator, [CHANNEL, 301, 302])
        for chat_id in (CHANNEL, 301, 302):
            [message] = emulator.messages(chat_id)
            assert "Border closed at Khorgos" in message.text
            assert message.disable_notification is False  # breaking news rings

        # The preview is edited while it goes out, and ends with the totals.
        final = await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")
        assert "delivered to 3 of 4" in final
        assert "Blocked: 1" in final and "Failed: 0" in final
        assert "Border closed at Khorgos" in final  # the post is still shown above
        edited = emulator.message(EDITOR, preview.message_id)
        assert not [b for b in edited.buttons() if "callback_data" in b]  # no Publish any more
        actions = await audit_actions(running)
        assert actions == [("previewed", EDITOR, None), ("published", EDITOR, 4)]
        async with running.services.sessions() as session:
            detail = await session.scalar(
                select(AuditEntry.detail).where(AuditEntry.action == "published")
            )
        assert detail == "delivered=3 blocked=1 failed=0 total=4"


async def test_progress_numbers_follow_the_language(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        emulator.add_user(EDITOR, "Редактор", language_code="ru")
        await add_audience(running, readers=(301,))
        preview = await preview_of(emulator, "Срочно: новость")
        assert "СРОЧНО" in preview.text
        assert first_row(preview)[0]["text"] == "✅ Опубликовать"
        await publish(emulator, preview)
        final = await wait_for_text(emulator, EDITOR, preview.message_id, r"Готово")
        assert "доставлено 2 из 2" in final


async def test_a_photo_captioned_breaking_is_previewed_and_published_as_a_photo(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=(301,))
        emulator.send_photo_message(EDITOR, caption="/breaking Fire in the <old> market")
        [preview] = await emulator.wait_for_messages(EDITOR, 1)
        assert preview.kind == "photo"
        assert "Fire in the <old> market" in preview.text
        await publish(emulator, preview)
        await wait_delivered(emulator, [CHANNEL, 301])
        for chat_id in (CHANNEL, 301):
            [message] = emulator.messages(chat_id)
            assert message.kind == "photo"
            assert "Fire in the <old> market" in message.text


# --------------------------------------------------------------------------- authority


async def test_a_non_editor_gets_a_refusal_and_nothing_happens(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running)
        for command in ("/breaking Fake news", "/recall", "/correct Fake", "/audit"):
            emulator.send_text(STRANGER, command)
        messages = await emulator.wait_for_messages(STRANGER, 4)
        assert all(m.text == "This command is for editors only." for m in messages)
        assert all(not m.buttons() for m in messages)
        async with running.services.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Post)) == 0
        assert await audit_actions(running) == []
        assert emulator.messages(CHANNEL) == []


async def test_a_non_editor_pressing_publish_or_replaying_it_is_refused(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running)
        preview = await preview_of(emulator, "Only for editors")
        data = data_of(preview, "brk:pub:")

        # A stranger pressing the button on the editor's preview (as if forwarded to them).
        query = emulator.press_button(STRANGER, EDITOR, preview.message_id, data)
        assert await answers_for(emulator, query) == "Only editors can do this."

        # A reader replaying the callback data under a message in their own chat.
        emulator.send_text(301, "/audit")
        [refusal] = await emulator.wait_for_messages(301, 1)
        query = emulator.press_button(301, 301, refusal.message_id, data, strict=False)
        assert await answers_for(emulator, query) == "Only editors can do this."
        # Cancel is refused the same way.
        cancel = data_of(preview, "brk:can:")
        query = emulator.press_button(301, 301, refusal.message_id, cancel, strict=False)
        assert await answers_for(emulator, query) == "Only editors can do this."

        assert await post_state(running, post_id_of(data)) == "draft"
        assert await deliveries(running) == 0
        assert emulator.messages(CHANNEL) == []
        assert [a for a, _, _ in await audit_actions(running)] == ["previewed"]


async def test_a_double_press_publishes_once(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running)
        preview = await preview_of(emulator, "Only once")
        data = data_of(preview, "brk:pub:")
        first = emulator.press_button(EDITOR, EDITOR, preview.message_id, data)
        second = emulator.press_button(EDITOR, EDITOR, preview.message_id, data, strict=False)
        answers = {await answers_for(emulator, first), await answers_for(emulator, second)}
        assert "This post has already been published." in answers
        # An admin replaying it later changes nothing either.
        emulator.send_text(ADMIN, "/audit")
        await emulator.wait_for_messages(ADMIN, 1)
        replay = emulator.press_button(
            ADMIN, ADMIN, emulator.messages(ADMIN)[0].message_id, data, strict=False
        )
        assert await answers_for(emulator, replay) == "This post has already been published."

        await wait_delivered(emulator, [CHANNEL, *READERS])
        await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")
        for chat_id in (CHANNEL, *READERS):
            assert len(emulator.messages(chat_id)) == 1
        assert await deliveries(running) == 3
        published = [a for a, _, _ in await audit_actions(running) if a == "published"]
        assert published == ["published"]


async def test_cancel_publishes_nothing_even_when_publish_is_pressed_after(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running)
        preview = await preview_of(emulator, "Not this one")
        publish_data = data_of(preview, "brk:pub:")
        query = emulator.press_button(
            EDITOR, EDITOR, preview.message_id, data_of(preview, "brk:can:")
        )
        assert await answers_for(emulator, query) == "Cancelled: nothing was sent."
        text = await wait_for_text(emulator, EDITOR, preview.message_id, "Cancelled")
        assert "Not this one" in text
        assert not emulator.message(EDITOR, preview.message_id).buttons()

        late = emulator.press_button(EDITOR, EDITOR, preview.message_id, publish_data, strict=False)
        assert await answers_for(emulator, late) == "This preview was cancelled."
        assert await post_state(running, post_id_of(publish_data)) == "cancelled"
        assert await deliveries(running) == 0
        assert [a for a, _, _ in await audit_actions(running)] == ["previewed", "cancelled"]


async def test_an_expired_preview_publishes_nothing(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, breaking={"preview_ttl": 60}, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running)
        preview = await preview_of(emulator, "Too late")
        data = data_of(preview, "brk:pub:")
        async with running.services.sessions() as session:
            # The editor walked away: the draft is now older than preview_ttl.
            await session.execute(
                update(Post)
                .where(Post.id == post_id_of(data))
                .values(created_at=utcnow() - timedelta(seconds=61))
            )
            await session.commit()
        query = emulator.press_button(EDITOR, EDITOR, preview.message_id, data)
        assert await answers_for(emulator, query) == (
            "This preview has expired. Send /breaking again."
        )
        assert await post_state(running, post_id_of(data)) == "draft"
        assert await deliveries(running) == 0
        assert emulator.messages(CHANNEL) == []


async def test_breaking_without_text_asks_for_it(emulator: BotApiEmulator, db_url: str) -> None:
    async with running_bot(emulator, db_url, **ROLES) as running:
        add_staff(emulator)
        emulator.send_text(EDITOR, "/breaking")
        [reply] = await emulator.wait_for_messages(EDITOR, 1)
        assert "/breaking TEXT" in reply.text
        assert await audit_actions(running) == []


async def test_progress_is_shown_while_a_broadcast_goes_out(
    emulator: BotApiEmulator, db_url: str
) -> None:
    readers = tuple(range(601, 611))
    # At 4 messages a second, eleven chats take a few seconds: long enough to see progress.
    async with running_bot(emulator, db_url, delivery={"rate": 4}, **ROLES) as running:
        add_staff(emulator)
        await add_audience(running, readers=readers)
        preview = await preview_of(emulator, "Slowly but surely")
        await publish(emulator, preview)
        final = await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")
        assert "delivered to 11 of 11" in final
        shown = [edit.text for edit in emulator.message(EDITOR, preview.message_id).edits]
        progress = [text for text in shown if "Publishing: sent to" in text]
        assert progress and all("of 11…" in text for text in progress)
        assert all("Slowly but surely" in text for text in progress)
