"""The Bot API methods, with Telegram's validation, answers and error strings.

Each ``_m_<method>`` takes the request's parameters and returns the ``result``
or raises ``ApiError``.

- ``switchboard.Switchboard``: ``call``, which routes a request to its method and
  adds what every request gets: latency, counting, the bounded request log and
  injected faults.
- ``checks.Checks``: the checks many methods share (chat lookup, rights, flood
  limits, parsing and length of texts).
- ``sending``, ``editing``, ``polling``: sends; edits and deletes; getUpdates and webhooks.
- ``botapi.BotApi``: all of them, plus the small methods (getMe, callbacks, chat
  info, files, commands).
"""
