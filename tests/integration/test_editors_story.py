"""The whole story as people live it: readers subscribe with their own commands, an editor
publishes breaking news to them and to a channel, watches it go out, and recalls it;
a reader trying the same gets a refusal."""

from __future__ import annotations

from bot.sandbox.emulator import BotApiEmulator
from tests.harness import running_bot
from tests.integration.test_breaking import (
    CHANNEL,
    EDITOR,
    ROLES,
    first_row,
    preview_of,
    publish,
    wait_for_text,
)


async def test_an_editor_publishes_to_subscribers_and_a_channel_then_recalls(
    emulator: BotApiEmulator, db_url: str
) -> None:
    async with running_bot(emulator, db_url, channels=[str(CHANNEL)], **ROLES):
        emulator.add_channel(CHANNEL, username="@newsroom")
        emulator.add_user(EDITOR, "Editor", language_code="en")
        for user_id, language in ((301, "ru"), (302, "kk")):
            emulator.add_user(user_id, "Reader", language_code=language)
            emulator.send_text(user_id, "/start")
            await emulator.wait_for_messages(user_id, 1)
            emulator.send_text(user_id, "/subscribe")
            await emulator.wait_for_messages(user_id, 2)

        preview = await preview_of(emulator, "Snow closes the Almaty–Bishkek road")
        assert await publish(emulator, preview) == "Publishing to 3 chats."
        final = await wait_for_text(emulator, EDITOR, preview.message_id, r"Done:")
        assert "delivered to 3 of 3" in final

        ru_post = emulator.messages(301)[-1]
        assert "СРОЧНО" in ru_post.text and "Almaty–Bishkek" in ru_post.text
        assert "Almaty–Bishkek" in emulator.messages(302)[-1].text
        [channel_post] = emulator.messages(CHANNEL)
        assert "BREAKING" in channel_post.text  # the newsroom's language

        # A reader cannot take it back.
        emulator.send_text(301, "/recall")
        refusal = (await emulator.wait_for_messages(301, 4))[-1]
        assert refusal.text == "Эта команда только для редакторов."

        emulator.send_text(EDITOR, "/recall")
        prompt = (await emulator.wait_for_messages(EDITOR, 2))[-1]
        emulator.press_button(
            EDITOR, EDITOR, prompt.message_id, first_row(prompt)[0]["callback_data"]
        )
        report = await wait_for_text(emulator, EDITOR, prompt.message_id, r"recalled:")
        assert "deleted in 3 of 3 chats" in report
        assert emulator.messages(CHANNEL) == []
        assert ru_post.deleted and not any(
            "Almaty–Bishkek" in m.text for m in emulator.messages(301)
        )
