"""A local Telegram and a local news site, for tests, ``newsbot demo`` and benchmarks.

- ``bot.sandbox.emulator.BotApiEmulator``: the Bot API over HTTP, for the real
  python-telegram-bot (``base_url=emu.base_url``, ``base_file_url=emu.base_file_url``),
  with a scriptable world (users, channels, groups, blocks, button presses),
  faults, latency, flood limits and a transcript of what the bot sent.
  ``python -m bot.sandbox.emulator --port 8081`` runs it standalone; the
  ``/_sandbox/...`` endpoints (bot.sandbox.control) script it from another process.
- ``bot.sandbox.entities.parser.parse_html``: Telegram's HTML parse mode as a pure function.
- ``bot.sandbox.feedserver.FeedServer``: feeds, pages and images with ETag/304,
  failures, delays and redirects.
- ``bot.sandbox.sample.serve_sample``: a Kazakh news site's feed, pages and photos.
"""
