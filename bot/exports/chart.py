"""The summary draft's chart: activities per day, stacked by type, labelled in Chinese.

Matplotlib is driven through ``Figure`` and the Agg canvas, never pyplot: exports are built in
worker threads and pyplot's global state is not thread-safe; matplotlib's font caches are shared
too, so charts are drawn one at a time. The CJK font is a system font
(Debian's fonts-wqy-zenhei, installed by `make system-deps`) found through matplotlib's font
manager; nothing is downloaded. Without one every label would print as empty boxes, so a missing
font is an error that says what to install, not a silently unreadable chart.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import date
from io import BytesIO

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from bot.exports.errors import MissingFontError
from storage.export_queries import ExportData
from storage.vocabulary import as_type, type_label
from storage.wording import WEEKDAYS

# Families that cover simplified Chinese, Debian's package first.
CJK_FAMILIES: tuple[str, ...] = (
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# A type this version does not know (each known type has its colour in the vocabulary).
OTHER_COLOUR = "#bfbfbf"
_DRAWING = threading.Lock()


@functools.cache
def cjk_font_path() -> str:
    """The file of an installed CJK font (cached once found; a failure is retried next time)."""
    known = {font.name: font.fname for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return known[family]
    # Matplotlib's font cache may predate the font's installation: look at the files themselves.
    for path in font_manager.findSystemFonts():
        try:
            family = font_manager.get_font(path).family_name
        except (OSError, RuntimeError):
            continue
        if family in CJK_FAMILIES:
            font_manager.fontManager.addfont(path)
            return str(path)
    raise MissingFontError(
        "no CJK font found for the chart's Chinese labels; install Debian's fonts-wqy-zenhei"
        " (`make system-deps`, or `apt-get install fonts-wqy-zenhei`)"
    )


def day_chart(data: ExportData, days: Sequence[date]) -> bytes:
    """A PNG bar chart of activities per day over ``days``, each bar split by type."""
    with _DRAWING:
        return _draw(data, days)


def _draw(data: ExportData, days: Sequence[date]) -> bytes:
    font = FontProperties(fname=cjk_font_path(), size=9)
    per_day_type = Counter((row.activity.date, row.activity.type) for row in data.activities)
    kinds = list(data.by_type)

    figure = Figure(figsize=(6.4, 3.0), dpi=200)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(days)))
    bottoms = [0] * len(days)
    for kind in kinds:
        heights = [per_day_type[(day, kind)] for day in days]
        known = as_type(kind)
        colour = known.terms.colour if known is not None else OTHER_COLOUR
        axes.bar(positions, heights, bottom=bottoms, color=colour, label=type_label(kind), width=0.6)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    for position, total in zip(positions, bottoms, strict=True):
        if total:
            axes.annotate(str(total), (position, total), ha="center", va="bottom", fontproperties=font)
    axes.set_xticks(
        positions, [f"{day.month}/{day.day}\n周{WEEKDAYS[day.weekday()]}" for day in days], fontproperties=font
    )
    axes.set_ylabel("活动（场）", fontproperties=font)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max(bottoms, default=0) * 1.1 + 1)
    axes.spines[["top", "right"]].set_visible(False)
    if kinds:
        axes.legend(prop=font, frameon=False, ncols=min(len(kinds), 4), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    out = BytesIO()
    figure.savefig(out, format="png", bbox_inches="tight")
    return out.getvalue()
