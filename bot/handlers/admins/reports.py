"""The admins' reports: /stats with the readers chart, and /export's CSV files."""

from __future__ import annotations

import asyncio
import io

from telegram import InputFile, Update

from bot.handlers.admins.access import Context, admin_only
from bot.handlers.admins.replies import message_of, reply_long
from bot.i18n import translate
from bot.newsroom.chart import CHART_LABELS, render_chart
from bot.newsroom.services import Services
from bot.newsroom.stats.collect import collect_history, collect_post_reach, collect_stats
from bot.newsroom.stats.exports import deliveries_csv, readers_csv
from bot.newsroom.stats.message import format_stats
from config.topics import TopicNames


@admin_only
async def stats(update: Update, context: Context, services: Services, language: str) -> None:
    """/stats: the figures, then the readers chart as a photo."""
    figures = await collect_stats(services.sessions)
    names = TopicNames(services.settings.topics)
    await reply_long(update, format_stats(figures, language, names=names).split("\n"))
    labels = {key: translate(language, text) for key, text in CHART_LABELS.items()}
    png = await asyncio.to_thread(render_chart, figures.days, labels)
    await message_of(update).reply_photo(
        InputFile(io.BytesIO(png), filename="readers.png"),
        caption=translate(language, "Readers, last 30 days"),
    )


@admin_only
async def export(update: Update, context: Context, services: Services, language: str) -> None:
    """/export: two CSV files, readers per day and deliveries per post."""
    history = await collect_history(services.sessions)
    posts = await collect_post_reach(services.sessions)
    await message_of(update).reply_document(
        InputFile(io.BytesIO(readers_csv(history)), filename="readers-per-day.csv"),
        caption=translate(language, "Readers per day"),
    )
    await message_of(update).reply_document(
        InputFile(io.BytesIO(deliveries_csv(posts)), filename="deliveries-per-post.csv"),
        caption=translate(language, "Deliveries per post"),
    )
