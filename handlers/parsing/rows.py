"""One activity from one row of cells under their column words (a table row or a key：value block).

Each cell goes through the ordinary field readers restricted to it: the date cell through the
date reader (a range is one activity over its days), the place cell is the place, the content
cells give the type and counts written in words ("走访企业2家"), and a number cell is the count its
column names (参与人数 → participants, 资料/份数 → materials, 咨询 → consultations, 企业 →
enterprises, 稿件/篇 → articles); a column naming none (数量, 人数/份数) leaves it to the count reader
with the row's content, then to the number's unit.
"""

from __future__ import annotations

import datetime as dt
import re

from handlers.parsing.columns import BRACKETED, Cell, Column, Header
from handlers.parsing.counts import attribute, totals
from handlers.parsing.dates import find_dates
from handlers.parsing.keywords import best, find_triggers
from handlers.parsing.model import ParsedActivity
from handlers.parsing.named_counts import companies_visited, labelled_quantities
from handlers.parsing.normalize import MASK
from handlers.parsing.numerals import find_quantities, to_int
from storage.vocabulary import ActivityType, CountKind

_BARE_NUMBER = re.compile(r"^(?P<about>约|近)?(?P<num>\d+(?:\.\d+)?万?)(?P<more>余|多|\+)?(?P<tail>[^\d]{0,3})$")
# A number under a column that names no count stands for people only when its unit says so, or it
# has none: "12块屏" counts screens, nothing the report counts.
_PEOPLE_TAILS = ("", "人", "名", "人次", "位")
# What a count's own unit says when neither its column nor the count reader decides ("企业16家").
_UNIT_FIELD: dict[str, str] = {
    **dict.fromkeys(("家", "户"), CountKind.ENTERPRISES),
    **dict.fromkeys(("份", "册", "张", "本"), CountKind.MATERIALS),
    **dict.fromkeys(("篇", "条", "期"), CountKind.ARTICLES),
    **dict.fromkeys(("人", "名", "人次"), CountKind.PARTICIPANTS),
}
_CHANNEL_COLUMN = re.compile("渠道|媒体|平台")
_BLANK = re.compile(r"^[\s\-—–/无]*$")


def row_date(
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


def _count_cell(word: str, field: str | None, cell: str, kind: str, content: str) -> list[tuple[str, int, bool]]:
    """The counts a numeric cell holds: its column's field for a bare number, else the count reader's
    (a column that names no count, 数量, is read with the row's content: "接待咨询 | 10人次")."""
    bare = _BARE_NUMBER.match(cell)
    value = to_int(bare.group("num")) if bare is not None else None
    rough = bare is not None and bool(bare.group("about") or bare.group("more"))
    if field is not None and value is not None:
        return [(field, value, rough)]
    # The column names no count, or the cell writes its own (企业42家，60余人): read "column：cell".
    prefix = f"{BRACKETED.sub('', word)}：" if field is not None else f"{content} "
    phrase = prefix + cell
    own = [q for q in find_quantities(phrase) if q.start >= len(prefix)]
    counted = attribute(phrase, own, kind)
    if counted:
        values, approximate = totals(counted)
        # "企业12家，30余人" under 参加: what the reader left, its unit says.
        read = {c.quantity.start for c in counted}
        left = [q for q in own if q.start not in read and _UNIT_FIELD.get(q.unit) not in (None, *values)]
        return [(name, number, name in approximate) for name, number in values.items()] + [
            (_UNIT_FIELD[q.unit], q.value, q.approximate) for q in left
        ]
    labelled = [(f, q) for f, q in labelled_quantities(phrase, 0, len(phrase)) if q.start >= len(prefix)]
    if labelled:
        return [(labelled[0][0], labelled[0][1].value, labelled[0][1].approximate)]
    by_unit = [(_UNIT_FIELD[q.unit], q.value, q.approximate) for q in own if q.unit in _UNIT_FIELD]
    if by_unit:
        return by_unit[:1]
    if value is None or (field is None and bare is not None and bare.group("tail").strip() not in _PEOPLE_TAILS):
        return []
    return [(field or CountKind.PARTICIPANTS, value, rough)]


def row_activity(
    original: str,
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
    kind = decider.type if decider else ActivityType.OTHER
    channel = any(
        k is Column.PLACE and _CHANNEL_COLUMN.search(w) for k, w in zip(header.kinds, header.words, strict=False)
    )
    if decider is None and channel and places:
        kind = ActivityType.MEDIA  # "渠道 | 区局公众号 | 世界知识产权日推文": a piece published on that channel
    values: dict[str, int] = {}
    approximate: set[str] = set()
    for cell, column, field, word in zip(slots, header.kinds, header.fields, header.words, strict=False):
        if cell is None or column is not Column.COUNT or _BLANK.match(cell.text):
            continue
        for name, value, rough in _count_cell(word, field, cell.text, kind, content):
            values[name] = values.get(name, 0) + value
            if rough:
                approximate.add(name)
    # Counts written in words in the content or under the row ("走访企业2家", "（发放折页200份）").
    worded = f"{content} " + " ".join(c.text for c in cells_of(Column.REMARK))
    if worded.strip():
        found, rough_fields = totals(attribute(worded, find_quantities(worded), kind))
        for name, value in found.items():
            if name not in values:
                values[name] = value
                if name in rough_fields:
                    approximate.add(name)
    # "4.21 | 朝阳燕山湖发电有限公司 | 走访", "走访企业 | 辽宁佳禾食品有限公司": a company named in a
    # visit's place or enterprise cell is one enterprise visited (the content names what was done:
    # "上门服务农民合作社" names no company).
    if CountKind.ENTERPRISES not in values:
        named_in = (Column.PLACE, Column.COUNT, Column.REMARK)
        written = "，".join(c.text for c in cells_of(*named_in) if not _BLANK.match(c.text))
        if named := companies_visited(written, kind):
            values[CountKind.ENTERPRISES] = named
    if not content.strip() and not places and not values:
        return None
    first, last = dated if dated is not None else (today, today)
    cells = [c for c in slots if c is not None]
    source = original[cells[0].start : cells[-1].end].strip() if cells else content
    return ParsedActivity(
        date=first,
        end_date=last,
        date_stated=dated is not None,
        type=kind,
        type_stated=decider is not None,
        location=places[0] if places else None,
        materials=values.get(CountKind.MATERIALS),
        consultations=values.get(CountKind.CONSULTATIONS),
        participants=values.get(CountKind.PARTICIPANTS),
        enterprises=values.get(CountKind.ENTERPRISES),
        articles=values.get(CountKind.ARTICLES),
        approximate=frozenset(approximate),
        source_text=source,
    )
