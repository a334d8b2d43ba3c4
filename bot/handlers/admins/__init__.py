"""Handlers for admins: stats with a chart, exports, and the controls for feeds, channels,
editors and OPML. Thin: check the role, parse the input, call ``bot.newsroom.management``, reply.

``registration`` lists the commands and adds them to the application;
``access`` is the guard every one runs behind, ``replies`` how they answer;
``reports``, ``controls`` and ``opml`` are the handlers.
"""
