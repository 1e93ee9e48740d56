"""Rows pasted from a WPS/Excel table: a header row of column words, then one activity per row.

A paste is recognised by its header: a line of at least three cells, split by tabs or by runs of
two or more spaces (single spaces when every word of the line is a column word), every cell a
known column word (日期, 地点, 活动内容, 发放资料（份）, 咨询人次, 参与人数 …). The rows below it
are split the same way; a tab row keeps its empty cells in place, a space-aligned row has its
cells put under the header cell nearest their start. A second header line right below the first
("宣传情况" over "发放资料 咨询") names the columns it stands over.

Each row is one activity (see rows). A blank date cell is a merged cell: it inherits the date
above. A 合计/小计 row is no activity (its numbers are the rows' again); 备注/填报人/截至… lines are
remarks, not activities; a row marked 未开展/取消 is left out.

Every step is one pass over a line or a cell, so reading stays linear in the text length.
"""

from __future__ import annotations

import datetime as dt
import re

from handlers.parsing.columns import Cell, Column, Header, column_of, screen_columns
from handlers.parsing.model import ParsedActivity
from handlers.parsing.rows import row_activity, row_date

_TOTAL_ROW = re.compile(r"^\s*(?:合\s*计|小\s*计|总\s*计|共\s*计)")
_REMARK_LINE = re.compile(
    r"^\s*(?:备注|注[:：]|注\s|说明[:：]|填报|填表|报送人|截至|截止|以上|制表|审核|联系人|联系电话)"
)
# "|---|:---:|": the rule under a header pasted as text.
_RULE_LINE = re.compile(r"^[\s|:\-—=+]+$")
_MAX_COLUMNS = 40  # a line of more column words than a report table has is no header
_LEFT_OUT = re.compile("未开展|未完成|已取消|取消|延期|待开展")
# What a space-aligned row's cells are split at: runs of 2+ spaces, or single spaces (by `single`).
_CELL_GAP = {False: re.compile(" {2,}"), True: re.compile(" +")}


def _delimited(line: str) -> str | None:
    """The character a row's cells are split at, keeping empty cells in place: a tab, or the bar of
    a table pasted as text ("| 日期 | 地点 |", "|4月20日|市人民检察院|…|"); None for space-aligned rows."""
    if "\t" in line:
        return "\t"
    return "|" if line.count("|") >= 2 else None


def _cells(text: str, start: int, end: int, single_spaces: bool) -> list[Cell]:
    """The cells of the line text[start:end]: split at tabs or bars, else at runs of 2+ spaces."""
    line = text[start:end]
    if (delimiter := _delimited(line)) is not None:
        if delimiter == "|":
            # The bars closing the row on either side hold no cell.
            inner = line.strip()
            start += line.index(inner[0]) + (inner[0] == "|")
            line = inner[1:] if inner[0] == "|" else inner
            line = line[:-1] if line.endswith("|") else line
        pieces, position = [], start
        for piece in line.split(delimiter):
            pieces.append(Cell(piece.strip(), position, position + len(piece)))
            position += len(piece) + 1
        return pieces
    screen = screen_columns(line)
    cells, position = [], start
    for gap in _CELL_GAP[single_spaces].finditer(line):
        cells.append(Cell(line[position - start : gap.start()], position, start + gap.start()))
        position = start + gap.end()
    cells.append(Cell(line[position - start :], position, end))
    return [Cell(c.text.strip(), c.start, c.end, screen[c.start - start]) for c in cells if c.text.strip()]


def _header(text: str, start: int, end: int) -> Header | None:
    line = text[start:end]
    tabbed = _delimited(line) is not None
    if not tabbed and line.count(" ") < 2:
        return None  # at most two cells however it is split: no header (and most lines of a report)
    for single in (False, True) if not tabbed else (False,):
        # Counted first in the pieces _cells keeps (split alike, blank ones left out): most lines
        # with spaces are prose of too few or too many pieces, spared the cells' screen columns.
        if not tabbed and not 3 <= sum(1 for piece in _CELL_GAP[single].split(line) if piece.strip()) <= _MAX_COLUMNS:
            continue
        cells = [c for c in _cells(text, start, end, single) if c.text]
        if not 3 <= len(cells) <= _MAX_COLUMNS:
            continue
        # One word the lists do not know ("责任科室") leaves a header of known words a header.
        columns = _known_columns(cells, 1 if len(cells) > 3 else 0)
        if columns is None:
            continue
        columns = [c or (Column.REMARK, None) for c in columns]
        kinds = [c[0] for c in columns if c is not None]
        if not ({Column.DATE, Column.MONTH} & set(kinds)) and Column.CONTENT not in kinds:
            continue
        if tabbed:  # keep the empty cells' places
            every = _cells(text, start, end, False)
            columns = [(column_of(c.text) if c.text else None) or (Column.REMARK, None) for c in every]
            cells = every
        return Header(
            kinds=[c[0] for c in columns if c is not None],
            fields=[c[1] for c in columns if c is not None],
            words=[c.text for c in cells],
            starts=[c.column for c in cells],
            spaced=not tabbed,
            single=single,
        )
    return None


def _known_columns(cells: list[Cell], unknown_allowed: int) -> list[tuple[Column, str | None] | None] | None:
    """Each cell's column, or None once more than ``unknown_allowed`` cells name none: a line of
    prose split at its spaces is given up at its second or so word, not looked up to its end."""
    columns = []
    unknown = 0
    for cell in cells:
        column = column_of(cell.text)
        unknown += column is None
        if unknown > unknown_allowed:
            return None
        columns.append(column)
    return columns


def _lines(text: str) -> list[tuple[int, int]]:
    """Line spans; a quoted cell running over several lines ("打击侵权假冒宣传\n（…）") stays in its line."""
    if '"' not in text:  # no quoted cell (most messages): every line break cuts, found in C
        lengths = [len(line) for line in text.split("\n")]
        starts = [0]
        for length in lengths[:-1]:
            starts.append(starts[-1] + length + 1)
        return [(start, start + length) for start, length in zip(starts, lengths, strict=True)]
    spans, start, quotes = [], 0, 0
    for position, char in enumerate(text):
        if char == '"':
            quotes += 1
        elif char == "\n" and quotes % 2 == 0:
            spans.append((start, position))
            start = position + 1
    spans.append((start, len(text)))
    return spans


def _place(cells: list[Cell], header: Header, line_start: int) -> list[Cell | None]:
    """The row's cells under the header's columns."""
    slots: list[Cell | None] = [None] * len(header.kinds)
    if not header.spaced or len(cells) == len(header.kinds):
        for index, cell in enumerate(cells[: len(slots)]):
            slots[index] = cell if cell.text else None
        return slots
    for cell in (piece for whole in cells for piece in _at_column_starts(whole, header)):
        offset = cell.column
        index = min(range(len(slots)), key=lambda i: (abs(header.starts[i] - offset), i))
        if slots[index] is None:
            slots[index] = cell
    return slots


def _at_column_starts(cell: Cell, header: Header) -> list[Cell]:
    """ "4.20-4.23 委公众号": a cell run into the next with one space, split where a column starts."""
    if " " not in cell.text:
        return [cell]
    screen = screen_columns(cell.text)
    pieces, start = [], 0
    for gap in re.finditer(" ", cell.text):
        after = cell.column + screen[gap.end()]
        if any(cell.column < column <= after + 1 for column in header.starts):
            pieces.append((start, gap.start()))
            start = gap.end()
    pieces.append((start, len(cell.text)))
    return [Cell(cell.text[a:b], cell.start + a, cell.start + b, cell.column + screen[a]) for a, b in pieces if a < b]


def _sub_header(header: Header, cells: list[Cell], line_start: int) -> Header | None:
    """A second header line naming the number columns under a group heading, merged into ``header``."""
    named = [c for c in cells if c.text]
    if not named or any(column_of(c.text) is None for c in named):
        return None
    if header.spaced:
        # The sub-header's words start columns of their own, to the right of the group heading.
        keep = [i for i, start in enumerate(header.starts) if start < named[0].column - 1]
        kinds = [header.kinds[i] for i in keep]
        fields = [header.fields[i] for i in keep]
        words = [header.words[i] for i in keep]
        starts = [header.starts[i] for i in keep]
        for cell in named:
            kind, field = column_of(cell.text) or (Column.REMARK, None)
            kinds.append(kind)
            fields.append(field)
            words.append(cell.text)
            starts.append(cell.column)
        return Header(kinds, fields, words, starts, True, header.single)
    kinds, fields, words = list(header.kinds), list(header.fields), list(header.words)
    for index, cell in enumerate(cells):
        column = column_of(cell.text) if cell.text else None
        if column is None:
            continue
        while len(kinds) <= index:
            kinds.append(Column.REMARK)
            fields.append(None)
            words.append("")
        kinds[index], fields[index], words[index] = column[0], column[1], cell.text
    return Header(kinds, fields, words, header.starts, False)


def read_table(text: str, today: dt.date, original: str) -> list[ParsedActivity] | None:
    """The activities of a table paste in ``text`` (normalised), or None when it holds no table;
    ``original``: the message as written, whose rows are the activities' source text."""
    lines = _lines(text)
    headers = [(index, h) for index, (start, end) in enumerate(lines) if (h := _header(text, start, end))]
    # Each table runs to the next header, so every line is read once: linear however many tables.
    activities: list[ParsedActivity] = []
    for number, (index, header) in enumerate(headers):
        following = headers[number + 1][0] if number + 1 < len(headers) else len(lines)
        activities.extend(_rows(text, lines[index + 1 : following], header, today, original))
    return activities or None


def _rows(
    text: str, lines: list[tuple[int, int]], header: Header, today: dt.date, original: str
) -> list[ParsedActivity]:
    rows: list[list[Cell | None]] = []
    extras: list[str] = []  # a line of one cell under a row belongs to it ("（发放折页200份）")
    for number, (start, end) in enumerate(lines):
        line = text[start:end]
        if not line.strip() or _TOTAL_ROW.match(line) or _REMARK_LINE.match(line) or _RULE_LINE.match(line):
            continue
        cells = _cells(text, start, end, header.single)
        if number == 0 and not rows and (merged := _sub_header(header, cells, start)) is not None:
            header = merged
            continue
        filled = [c for c in cells if c.text]
        if len(filled) == 1 and rows and _delimited(line) is None:
            extras[-1] += " " + filled[0].text
            continue
        if len(filled) < 2:
            continue
        slots = _place(cells, header, start)
        if any(_TOTAL_ROW.match(c.text) for c in slots[:2] if c is not None):
            continue
        rows.append(slots)
        extras.append("")
    activities: list[ParsedActivity] = []
    previous_date: tuple[dt.date, dt.date] | None = None
    previous_month: str | None = None
    for slots, extra in zip(rows, extras, strict=True):
        if any(c is not None and _LEFT_OUT.search(c.text) for c in slots):
            continue
        dated, month = row_date(slots, header, today, previous_month)
        previous_month = month or previous_month
        if dated is None and previous_date is not None:
            dated = previous_date  # a merged date cell: the value above
        activity = row_activity(original, slots, header, dated, extra, today)
        if activity is not None:
            previous_date = (activity.date, activity.end_date) if dated is not None else previous_date
            activities.append(activity)
    return activities
