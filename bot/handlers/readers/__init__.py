"""Handlers for readers: /start, /subscribe, /unsubscribe, /topics, /language, /help,
/stop, /forget, the buttons under those messages, and the catch-all hint.

Each handler parses the update, calls a service in ``bot.newsroom.readers`` and replies
in the reader's language. Reader commands work in a private chat; in a group
they answer with a link to one. Callback data all start with ``r:`` and stay
under Telegram's 64 bytes; anything else that reaches the catch-all is a
stale or foreign button and gets a short answer.

``registration`` adds them to the application; ``menu`` lists the commands,
``commands``, ``buttons`` and ``fallback`` answer, ``texts`` and ``keyboards``
build what they send, and ``incoming`` reads the update.
"""
