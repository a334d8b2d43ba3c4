"""The admins' commands: what /help lists for an admin, and which handler answers each."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.handlers.admins.access import Callback
from bot.handlers.admins.controls import (
    add_channel,
    add_editor,
    add_feed,
    channels,
    editors,
    feeds,
    remove_channel,
    remove_editor,
    remove_feed,
)
from bot.handlers.admins.opml import OPML_FILTER, export_feeds, import_feeds
from bot.handlers.admins.reports import export, stats

COMMANDS: tuple[tuple[str, str], ...] = (  # (command, description msgid) shown by /help
    ("stats", "readers, feeds and deliveries, with a chart"),
    ("feeds", "the feeds and their health"),
    ("addfeed", "add a feed: /addfeed URL [topic]"),
    ("removefeed", "remove a feed: /removefeed ID"),
    ("channels", "the channels posts go to"),
    ("addchannel", "post to a channel: /addchannel @channel"),
    ("removechannel", "stop posting to a channel: /removechannel @channel"),
    ("editors", "who may send breaking news"),
    ("addeditor", "make someone an editor: /addeditor USER_ID"),
    ("removeeditor", "remove an editor: /removeeditor USER_ID"),
    ("export", "CSV files: readers per day, deliveries per post"),
    ("exportfeeds", "the feeds as an OPML file (send one back to import feeds)"),
)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this audience's handlers to group 0."""
    private = filters.ChatType.PRIVATE
    commands: dict[str, Callback] = {
        "stats": stats,
        "feeds": feeds,
        "addfeed": add_feed,
        "removefeed": remove_feed,
        "channels": channels,
        "addchannel": add_channel,
        "removechannel": remove_channel,
        "editors": editors,
        "addeditor": add_editor,
        "removeeditor": remove_editor,
        "export": export,
        "exportfeeds": export_feeds,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    application.add_handler(MessageHandler(private & OPML_FILTER, import_feeds))
