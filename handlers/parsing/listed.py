"""Activities listed one a line as numbered rows without a header (a table row typed out):

    活动1：4月22日—24日，全市各中小学，知识产权主题班会，参与学生约1.2万人
    活动二：4月24日 市营商环境服务中心 助企政策宣讲会 企业20家 32人
    合计：资料150份，企业20家，32人

A line is such a row when it opens with a number (活动1：, 2、, （三）, ④), closes no sentence, and
its cells, split at commas or spaces, are a date first and at least two more, none a clause of a
sentence (在…开展 is prose, which the ordinary reader places better). Each cell is then a column:
the date, a count (read with the row's content), a place (a cell the place reader takes whole, no
kind of work in it), or content. Only a message of two such rows or more, with nothing else but a
title above and a 合计 line (or a recap masked before, see framing), is read here; each row is one
activity (see rows). One pass over the lines: linear.
"""

from __future__ import annotations

import datetime as dt
import re

from handlers.parsing.columns import Cell, Column, Header
from handlers.parsing.dates import find_dates
from handlers.parsing.keywords import best, find_triggers
from handlers.parsing.locations import find_locations
from handlers.parsing.model import ParsedActivity
from handlers.parsing.normalize import MASK
from handlers.parsing.numerals import find_quantities
from handlers.parsing.rows import row_activity, row_date
from storage.vocabulary import ActivityType

_NUMBERED = re.compile(
    r"\s*(?:活动\s*[\d一二三四五六七八九十]{1,3}\s*[：:、.．]?|[\d]{1,2}\s*[、.．]|[（(][\d一二三四五六七八九十]{1,3}[）)]"
    r"|[一二三四五六七八九十]{1,3}\s*、|[①②③④⑤⑥⑦⑧⑨⑩])\s*"
)
_CELL = re.compile(r"[^，,；;\s]+")
_TOTAL_LINE = re.compile(r"^\s*(?:合\s*计|总\s*计|共\s*计|小\s*计|累\s*计)")
_TIME_OF_DAY = re.compile(r"\s*(?:上午|下午|晚上|全天|\d{1,2}[:：]\d{2})?")
# A cell that is a clause of a sentence (在…, 组织…, 到…走访) is prose, not a column: the ordinary
# reader reads it with what it knows of sentences (companies named, who took part).
_PROSE = re.compile(
    "[在于](?=[^，,；;\\s]{2})|^(?:组织|召开|开展|举办|举行|到|赴|前往|深入|走进|联合|邀请|为|向|对|通过|由|我)"
)
_SENTENCE_END = re.compile("[。！!]\\s*$")


def read_listed(text: str, today: dt.date, original: str) -> list[ParsedActivity] | None:
    """The activities of two or more numbered header-less rows in ``text`` (normalised), else None."""
    lines = text.split("\n")
    # Only numbered lines can be rows: under two of them, no line needs its cells, dates or counts read.
    if sum(_NUMBERED.match(line) is not None for line in lines) < 2:
        return None
    rows: list[list[Cell]] = []
    start = 0
    for line in lines:
        end = start + len(line)
        cells = _row_cells(text, start, end, today)
        if cells is not None:
            rows.append(cells)
        elif line.strip(f" \t{MASK}") and not _TOTAL_LINE.match(line) and (rows or find_quantities(line)):
            return None  # prose beside the rows: the ordinary reader reads it all
        start = end + 1
    if len(rows) < 2:
        return None
    activities = []
    for cells in rows:
        kinds = [Column.DATE] + [_column(cell.text) for cell in cells[1:]]
        if Column.CONTENT not in kinds:
            kinds = [Column.CONTENT if kind is Column.PLACE else kind for kind in kinds]
        header = Header(kinds, [None] * len(kinds), [""] * len(kinds), [0] * len(kinds), False)
        slots: list[Cell | None] = list(cells)
        dated, _ = row_date(slots, header, today, None)
        activity = row_activity(original, slots, header, dated, "", today)
        if activity is not None:
            activities.append(activity)
    return activities if len(activities) >= 2 else None


def _row_cells(text: str, start: int, end: int, today: dt.date) -> list[Cell] | None:
    """The cells of a numbered row, its date cell first; None when the line is no such row."""
    numbered = _NUMBERED.match(text, start, end)
    if numbered is None or _SENTENCE_END.search(text, start, end):
        return None
    cells = [Cell(m.group(), m.start(), m.end()) for m in _CELL.finditer(text, numbered.end(), end)]
    if len(cells) < 3:
        return None
    dates = find_dates(cells[0].text, today)
    if not dates or dates[0].start != 0 or not _TIME_OF_DAY.fullmatch(cells[0].text, dates[0].end):
        return None
    if any(_PROSE.search(cell.text) for cell in cells[1:]):
        return None
    return cells


def _column(cell: str) -> Column:
    """A header-less cell's column: a count, a place, or what was done."""
    if find_quantities(cell):
        return Column.COUNT
    said = f"在{cell}，"
    whole = any(loc.start == 1 and loc.end == len(cell) + 1 for loc in find_locations(said, said))
    kind = best(find_triggers(cell, cell))
    if whole and (kind is None or kind.type == ActivityType.OTHER):
        return Column.PLACE
    return Column.CONTENT
