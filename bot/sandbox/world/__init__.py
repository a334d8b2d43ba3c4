"""The emulated Telegram around the bot: users, chats, what they do, and what the bot sent.

This layer knows nothing about HTTP: tests script the world (a user writes,
presses a button, blocks the bot; the bot is made admin of a channel), which
queues the updates Telegram would deliver, and read back the transcript of what
the bot sent.

- ``state.WorldState``: the stores, the clock and the queue of updates to the bot.
- ``chats.Chats``: users, channels and groups, and the bot's standing in them.
- ``outbox.Outbox``: what the bot sent, as Telegram's JSON and as a transcript.
- ``actions.World``: all of it, plus what users do (write, send files, press buttons).
"""
