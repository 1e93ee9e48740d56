"""Rows pasted from a WPS/Excel table: a header row of column words, then one activity per row.

A paste is recognised by its header: a line of at least three cells, split by tabs or by runs of
two or more spaces (single spaces when every word of the line is a column word), every cell a
known column word (日期, 地点, 活动内容, 发放资料（份）, 咨询人次, 参与人数 …). The rows below it
are split the same way; a tab row keeps its empty cells in place, a space-aligned row has its
cells put under the header cell nearest their start. A second header line right below the first
("宣传情况" over "发放资料 咨询") names the columns it stands over.

Each row is one activity, read by the ordinary field readers restricted to its own cells: its
date cell by the date reader (a range is one activity over its days), its place cell as the
place, its content cells for the type and for counts written in words ("走访企业2家"), and each
numeric cell as the count its column names (参与人数 → participants, 资料/份数 → materials, 咨询 →
consultations, 企业 → enterprises, 稿件/篇 → articles); a column that names none (数量, 人数/份数)
leaves it to the count reader and the number's unit. A blank date cell is a merged cell: it
inherits the date above. A 合计/小计 row is no activity (its numbers are the rows' again);
备注/填报人/截至… lines are remarks, not activities; a row marked 未开展/取消 is left out.

Every step is one pass over a line or a cell, so reading stays linear in the text length.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

from handlers.parsing.counts import attribute, labelled_quantities, totals
from handlers.parsing.dates import find_dates
from handlers.parsing.keywords import best, find_triggers
from handlers.parsing.model import ParsedActivity
from handlers.parsing.normalize import MASK
from handlers.parsing.numerals import find_quantities, to_int


class Column(Enum):
    SEQUENCE = "sequence"
    DATE = "date"
    MONTH = "month"
    DAY = "day"
    PLACE = "place"
    CONTENT = "content"
    COUNT = "count"  # a number column; its field (or None) is kept beside it
    REMARK = "remark"


# Column words, longest first within a kind where one contains another; a header cell is a column
# word once its unit in brackets ("发放资料（份）") is left off.
_COLUMN_WORDS: tuple[tuple[Column, str], ...] = (
    (Column.SEQUENCE, "序号|编号|序"),
    (Column.MONTH, "月|月份"),
    (Column.DAY, "日"),
    (Column.DATE, r"(?:活动|开展|举办)?(?:日期|时间)|时间段"),
    (
        Column.PLACE,
        r"(?:活动)?(?:地点|场所|地址|位置)(?:/\S{1,4})?|学校|(?:发布|宣传|播出)?(?:媒体|平台|渠道)|媒体/平台|单位|社区|乡镇",
    ),
    (Column.REMARK, "备注|完成情况|说明|效果|成效|主讲|主讲人|负责人|联系人|对象|活动对象|参与对象|宣传对象|参加人员"),
    (
        Column.CONTENT,
        r"(?:活动|宣传)?(?:内容|形式|名称|主题|方式|项目|类型)|活动|标题|题目|栏目|走访企业|内容/形式|形式/内容",
    ),
)
# What a number column counts, by the words of its header (the first that matches decides).
_COUNT_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("人数/份数|份数/人数|数量|参与情况|宣传情况|^情况$|合计|^数$", None),
    ("咨询|答疑|接待", "consultations"),
    ("资料|份|册|折页|手册|宣传单|传单|海报|张", "materials"),
    ("稿件|篇|信息|条|报道|文章|推送", "articles"),
    ("企业|家|户|商户", "enterprises"),
    ("人|参与|参加|参会|参训|听众|观众|学生|师生|群众|旁听|参观|受众|覆盖", "participants"),
)
_COUNT_HEADER = re.compile(
    r"(?:发放|发布|参与|参加|参训|参会|接待|解答|走访|覆盖|受众|参观|旁听|听课|到场|服务|现场)?"
    r"(?:资料|宣传资料|份数|咨询|咨询人次|咨询人数|人次|人数|人员|企业|企业数|家数|稿件|篇数|信息|条数|报道|"
    r"文章|学生|师生|群众|听众|观众|人|数量|参与|参加|参训|参会|到场|旁听|参观|情况|宣传情况|参与情况|合计|折页|手册|海报|师生人数|学生人数)"
    r"(?:人数|人次|数)?(?:/(?:人数|份数|人次|篇数))?"
)
_BRACKETED = re.compile(r"[（(][^（）()]{0,6}[）)]")
# "走访企业（家）": a unit in brackets makes any header a number column.
_COUNTED_UNIT = re.compile(r"[（(](?:份|家|人|人次|篇|条|册|张|场|次|个|户)[）)]")
_TAB_OR_GAP = re.compile(r"\t| {2,}")
_TOTAL_ROW = re.compile(r"^\s*(?:合\s*计|小\s*计|总\s*计|共\s*计)")
_REMARK_LINE = re.compile(
    r"^\s*(?:备注|注[:：]|注\s|说明[:：]|填报|填表|报送人|截至|截止|以上|制表|审核|联系人|联系电话)"
)
_LEFT_OUT = re.compile("未开展|未完成|已取消|取消|延期|待开展")
_BARE_NUMBER = re.compile(r"^(?P<about>约|近)?(?P<num>\d+(?:\.\d+)?万?)(?P<more>余|多|\+)?[^\d]{0,3}$")
# What a count's own unit says when neither its column nor the count reader decides ("企业16家").
_UNIT_FIELD = {
    **dict.fromkeys(("家", "户"), "enterprises"),
    **dict.fromkeys(("份", "册", "张", "本"), "materials"),
    **dict.fromkeys(("篇", "条", "期"), "articles"),
    **dict.fromkeys(("人", "名", "人次"), "participants"),
}
_CHANNEL_COLUMN = re.compile("渠道|媒体|平台")
_BLANK = re.compile(r"^[\s\-—–/无]*$")


@dataclass(frozen=True)
class Cell:
    text: str
    start: int  # position in the normalised message
    end: int
    column: int = 0  # where it starts on screen: a space-aligned paste lines up wide characters as two


def _screen_columns(line: str) -> list[int]:
    """The screen column of each position of ``line`` (a CJK character is two columns wide)."""
    columns, width = [], 0
    for char in line:
        columns.append(width)
        width += 2 if "\u2e80" <= char <= "\uffef" else 1
    columns.append(width)
    return columns


@dataclass(frozen=True)
class Header:
    kinds: list[Column]
    fields: list[str | None]  # the count field of each COUNT column
    words: list[str]
    starts: list[int]  # each cell's offset in its line, to place the cells of space-aligned rows
    spaced: bool  # cells split by spaces, not tabs
    single: bool = False  # split at single spaces ("日期 地点 内容 资料"), as its rows are


def column_of(word: str) -> tuple[Column, str | None] | None:
    """The kind of column a header word names (with its count field), or None if it is no column word."""
    bare = _BRACKETED.sub("", word).strip(" :：*")
    if not bare:
        return None
    if _COUNTED_UNIT.search(word):
        return Column.COUNT, next((f for words, f in _COUNT_FIELDS[1:] if re.search(words, word)), None)
    for kind, words in _COLUMN_WORDS:
        if re.fullmatch(words, bare):
            return kind, None
    if _COUNT_HEADER.fullmatch(bare) or (bare != word.strip() and re.fullmatch(r"[\u4e00-\u9fff/]{1,6}", bare)):
        field = next((f for words, f in _COUNT_FIELDS if re.search(words, word)), None)
        return Column.COUNT, field
    return None


def _cells(text: str, start: int, end: int, single_spaces: bool) -> list[Cell]:
    """The cells of the line text[start:end]: split at tabs, else at runs of 2+ spaces."""
    line = text[start:end]
    if "\t" in line:
        pieces, position = [], start
        for piece in line.split("\t"):
            pieces.append(Cell(piece.strip(), position, position + len(piece)))
            position += len(piece) + 1
        return pieces
    separator = re.compile(" +" if single_spaces else " {2,}")
    screen = _screen_columns(line)
    cells, position = [], start
    for gap in separator.finditer(line):
        cells.append(Cell(line[position - start : gap.start()], position, start + gap.start()))
        position = start + gap.end()
    cells.append(Cell(line[position - start :], position, end))
    return [Cell(c.text.strip(), c.start, c.end, screen[c.start - start]) for c in cells if c.text.strip()]


def _header(text: str, start: int, end: int) -> Header | None:
    line = text[start:end]
    tabbed = "\t" in line
    for single in (False, True) if not tabbed else (False,):
        cells = [c for c in _cells(text, start, end, single) if c.text]
        columns = [column_of(c.text) for c in cells]
        # One word the lists do not know ("责任科室") leaves a header of known words a header.
        if len(cells) < 3 or sum(c is None for c in columns) > (1 if len(cells) > 3 else 0):
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


def _lines(text: str) -> list[tuple[int, int]]:
    """Line spans; a quoted cell running over several lines ("打击侵权假冒宣传\n（…）") stays in its line."""
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
    for cell in cells:
        offset = cell.column
        index = min(range(len(slots)), key=lambda i: (abs(header.starts[i] - offset), i))
        if slots[index] is None:
            slots[index] = cell
    return slots


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


def read_table(text: str, today: dt.date) -> list[ParsedActivity] | None:
    """The activities of a table paste in ``text`` (normalised), or None when it holds no table."""
    lines = _lines(text)
    for index, (start, end) in enumerate(lines):
        header = _header(text, start, end)
        if header is not None:
            activities = _rows(text, lines[index + 1 :], header, today)
            if activities:
                return activities
    return None


def _rows(text: str, lines: list[tuple[int, int]], header: Header, today: dt.date) -> list[ParsedActivity]:
    rows: list[list[Cell | None]] = []
    extras: list[str] = []  # a line of one cell under a row belongs to it ("（发放折页200份）")
    for number, (start, end) in enumerate(lines):
        line = text[start:end]
        if not line.strip() or _TOTAL_ROW.match(line) or _REMARK_LINE.match(line):
            continue
        cells = _cells(text, start, end, header.single)
        if number == 0 and not rows and (merged := _sub_header(header, cells, start)) is not None:
            header = merged
            continue
        filled = [c for c in cells if c.text]
        if len(filled) == 1 and rows and "\t" not in line:
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
        dated, month = _row_date(slots, header, today, previous_month)
        previous_month = month or previous_month
        if dated is None and previous_date is not None:
            dated = previous_date  # a merged date cell: the value above
        activity = _activity(text, slots, header, dated, extra, today)
        if activity is not None:
            previous_date = (activity.date, activity.end_date) if dated is not None else previous_date
            activities.append(activity)
    return activities


def _row_date(
    slots: list[Cell | None], header: Header, today: dt.date, previous_month: str | None
) -> tuple[tuple[dt.date, dt.date] | None, str | None]:
    """The row's first and last day from its date cell(s), and its month cell (月 | 日 columns)."""
    month = next((c.text for c, k in zip(slots, header.kinds, strict=False) if k is Column.MONTH and c), None)
    day = next((c.text for c, k in zip(slots, header.kinds, strict=False) if k is Column.DAY and c), None)
    if day is not None and (month or previous_month):
        written = f"{month or previous_month}月{day}日"
    else:
        written = next((c.text for c, k in zip(slots, header.kinds, strict=False) if k is Column.DATE and c), "")
    mentions = find_dates(written, today) if written else []
    if not mentions:
        return None, month
    return (min(mentions[0].days), max(mentions[0].days)), month


def _count_cell(word: str, field: str | None, cell: str, kind: str, content: str) -> tuple[str, int, bool] | None:
    """The count a numeric cell holds: its column's field for a bare number, else the count reader's
    (a column that names no count, 数量, is read with the row's content: "接待咨询 | 10人次")."""
    bare = _BARE_NUMBER.match(cell)
    if field is not None and bare is not None:
        value = to_int(bare.group("num"))
        if value is not None:
            return field, value, bool(bare.group("about") or bare.group("more"))
    # The column names no count, or the cell writes its own (企业16家): read "column：cell".
    phrase = f"{_BRACKETED.sub('', word)}：{cell}" if field is not None else f"{content} {cell}"
    counted = attribute(phrase, find_quantities(phrase), kind)
    if counted:
        values, approximate = totals(counted)
        name = next(iter(values))
        return name, values[name], name in approximate
    labelled = labelled_quantities(phrase, 0, len(phrase))
    if labelled:
        return labelled[0][0], labelled[0][1].value, labelled[0][1].approximate
    unit_field = next((f for q in find_quantities(cell) if (f := _UNIT_FIELD.get(q.unit))), None)
    if unit_field is not None:
        quantity = find_quantities(cell)[0]
        return unit_field, quantity.value, quantity.approximate
    if bare is not None and (value := to_int(bare.group("num"))) is not None:
        return (field or "participants"), value, bool(bare.group("about") or bare.group("more"))
    return None


def _activity(
    text: str,
    slots: list[Cell | None],
    header: Header,
    dated: tuple[dt.date, dt.date] | None,
    extra: str,
    today: dt.date,
) -> ParsedActivity | None:
    def cells_of(*kinds: Column) -> list[Cell]:
        return [c for c, k in zip(slots, header.kinds, strict=False) if c is not None and k in kinds]

    places = [c.text for c in cells_of(Column.PLACE) if not _BLANK.match(c.text)]
    content = " ".join(c.text for c in cells_of(Column.CONTENT)) + extra
    place_text = " ".join(places)
    # The type from the content, the place masked but still seen as a channel (委公众号).
    evidence = f"{place_text}，{content}"
    masked = MASK * len(place_text) + f"，{content}"
    triggers = find_triggers(masked, evidence)
    if not triggers:
        # "走访企业 | 朝阳重型机器有限公司": the column's own word says what was done.
        heading = "，".join(w for w, k in zip(header.words, header.kinds, strict=False) if k is Column.CONTENT)
        triggers = find_triggers(f"{heading}，{masked}", f"{heading}，{evidence}")
    decider = best(triggers)
    kind = decider.type if decider else "other"
    channel = any(
        k is Column.PLACE and _CHANNEL_COLUMN.search(w) for k, w in zip(header.kinds, header.words, strict=False)
    )
    if decider is None and channel and places:
        kind = "media"  # "渠道 | 区局公众号 | 世界知识产权日推文": a piece published on that channel
    values: dict[str, int] = {}
    approximate: set[str] = set()
    for cell, column, field, word in zip(slots, header.kinds, header.fields, header.words, strict=False):
        if cell is None or column is not Column.COUNT or _BLANK.match(cell.text):
            continue
        counted = _count_cell(word, field, cell.text, kind, content)
        if counted is not None:
            name, value, rough = counted
            values[name] = values.get(name, 0) + value
            if rough:
                approximate.add(name)
    # Counts written in words in the content or under the row ("走访企业2家", "（发放折页200份）").
    worded = f"{content} " + " ".join(c.text for c in cells_of(Column.REMARK))
    if worded.strip():
        found, rough = totals(attribute(worded, find_quantities(worded), kind))
        for name, value in found.items():
            if name not in values:
                values[name] = value
                if name in rough:
                    approximate.add(name)
    if not content.strip() and not places and not values:
        return None
    first, last = dated if dated is not None else (today, today)
    cells = [c for c in slots if c is not None]
    source = text[cells[0].start : cells[-1].end].strip() if cells else content
    return ParsedActivity(
        date=first,
        end_date=last,
        date_stated=dated is not None,
        type=kind,
        type_stated=decider is not None,
        location=places[0] if places else None,
        materials=values.get("materials"),
        consultations=values.get("consultations"),
        participants=values.get("participants"),
        enterprises=values.get("enterprises"),
        articles=values.get("articles"),
        approximate=frozenset(approximate),
        source_text=source,
    )
