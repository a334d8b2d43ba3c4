"""The readers chart for /stats: a PNG drawn with matplotlib, no display needed.

Readers active and blocked over the last days as lines, joins and leaves per
day as bars below the axis, sized to be read on a phone. The Figure is built
directly (no pyplot), so no global state is touched and it can run in a thread.
matplotlib itself is imported on the first chart, not when the bot starts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.newsroom.stats.figures import DayPoint

# 1200 x 900 px: sharp on a phone, far under Telegram's 10 MB and 10000 px limits.
SIZE_INCHES = (8.0, 6.0)
DPI = 150
ACTIVE, BLOCKED, JOINS, LEAVES = "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"


def render_chart(points: Sequence[DayPoint], labels: dict[str, str] | None = None) -> bytes:
    """PNG bytes of the readers chart; ``labels`` translates the legend and titles."""
    # matplotlib is imported here, on the first chart: it costs tens of MB and
    # most of a start-up, for a picture only admins ask for.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    text = {**CHART_LABELS, **(labels or {})}
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    days = [p.day for p in points]
    # Each point is a day's end: steps, not slopes, so a day reads as one level.
    steps = {"drawstyle": "steps-mid"}
    top.plot(
        days, [p.active for p in points], color=ACTIVE, linewidth=2.5, label=text["active"], **steps
    )
    top.plot(
        days,
        [p.blocked for p in points],
        color=BLOCKED,
        linewidth=2,
        label=text["blocked"],
        **steps,
    )
    top.set_title(text["title"], fontsize=15)
    top.legend(loc="upper left", fontsize=11)
    top.set_ylim(bottom=0)
    bottom.bar(days, [p.joins for p in points], color=JOINS, label=text["joins"])
    bottom.bar(days, [-p.leaves for p in points], color=LEAVES, label=text["leaves"])
    bottom.axhline(0, color="#444444", linewidth=0.8)
    bottom.legend(loc="upper left", fontsize=11)
    bottom.set_title(text["per_day"], fontsize=12)
    for axes in (top, bottom):
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(axis="y", alpha=0.3)
        axes.tick_params(labelsize=10)
    # Leaves are drawn downwards but counted as people: no minus signs.
    bottom.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{abs(value):g}"))
    bottom.xaxis.set_major_formatter(DateFormatter("%d.%m"))
    figure.autofmt_xdate(rotation=45)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# The chart's words in English: the msgids the admins' catalog translates.
CHART_LABELS = {
    "title": "Readers, last 30 days",
    "active": "active",
    "blocked": "blocked",
    "joins": "joined",
    "leaves": "left",
    "per_day": "Joined and left per day",
}
