"""The readers chart: a real PNG, phone-sized, drawn without a display."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from bot.newsroom.chart import render_chart
from bot.newsroom.stats.figures import DayPoint


def days(count: int) -> list[DayPoint]:
    start = date(2026, 10, 29)
    return [
        DayPoint(start + timedelta(days=i), 100 + i, i // 4, 1, {"joined": i % 3, "left": i % 2})
        for i in range(count)
    ]


def test_the_chart_is_a_png_readable_on_a_phone() -> None:
    png = render_chart(days(30))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    width, height = image.size
    assert 800 <= width <= 2560 and 600 <= height <= 2560
    assert len(png) < 10 * 1024 * 1024


def test_an_empty_history_still_draws() -> None:
    image = Image.open(io.BytesIO(render_chart(days(1))))
    assert image.format == "PNG"


def test_labels_can_be_translated() -> None:
    png = render_chart(days(3), {"title": "Читатели"})
    assert Image.open(io.BytesIO(png)).size[0] > 0
