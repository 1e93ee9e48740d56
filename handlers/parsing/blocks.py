"""Activities written as key：value blocks, one block per activity (a table turned on its side).

    时间：4月21日上午            活动名称：主题展板展览      1.时间：4.21 地点：… 形式：… 企业：9家
    地点：北票市体育广场          活动时间：4月20日—26日      2.时间：4.23 地点：… 资料：60册
    形式：集中宣传               …

A key is a column word (see columns); a line may hold several pairs ("时间：4.21 地点：市民中心").
A block ends at a blank line, a separator (——, 活动一, 【活动2】), a line that is only a date (which
opens the next block with it), or when a key of a kind already in the block comes again (a second
时间, see _REPEATING). Each block is read as one table row (see rows). Only two blocks or more are read here: a
single block is one activity, which the ordinary reader already gives.
"""

from __future__ import annotations

import datetime as dt
import re

from handlers.parsing.columns import Cell, Column, Header, column_of
from handlers.parsing.dates import find_dates
from handlers.parsing.model import ParsedActivity
from handlers.parsing.rows import row_activity, row_date

# "时间：", "1.时间:", "活动地点 ：": a key of at most 10 characters before a colon.
_KEY = re.compile(r"(?:^|(?<=\s))(?:\d{1,2}[.、]\s*)?(?P<key>[^\s:：，,。；;]{1,10})\s*[:：]")
_SEPARATOR = re.compile(
    r"^\s*(?:[—\-=_*·]{2,}|【?活动\s*[\d一二三四五六七八九十]+】?|[\d一二三四五六七八九十]+[.、]?)\s*$"
)
# 活动名称 and 形式 are both content of one activity; a second date or place opens the next, and
# so does content after the block's place or counts (活动名称：… 地点：… 人数：… 活动名称：…).
_REPEATING = frozenset({Column.DATE, Column.PLACE})
# 形式/方式 tells how the activity named above was done ("活动名称：… 地点：… 形式：发放宣传册、现场答疑"):
# it opens no block of its own unless the block already told how.
_HOW = re.compile(r"(?:活动|宣传)?(?:形式|方式)")


def read_blocks(text: str, today: dt.date, original: str) -> list[ParsedActivity] | None:
    """The activities of two or more key：value blocks in ``text`` (normalised), else None;
    ``original``: the message as written, cut for each activity's source text."""
    blocks: list[list[tuple[str, Cell]]] = []
    current: list[tuple[str, Cell]] = []
    kinds: set[Column] = set()
    told_how = False

    def close() -> None:
        nonlocal current, kinds, told_how
        if current:
            blocks.append(current)
        current, kinds, told_how = [], set(), False

    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        pairs = _pairs(text, start, end)
        if not pairs:
            date_only = find_dates(line, today)
            if not line.strip() or _SEPARATOR.match(line):
                close()
            elif date_only and len(line.strip()) <= date_only[0].end - date_only[0].start + 2:
                close()
                current.append(("日期", Cell(line.strip(), start, end)))
                kinds.add(Column.DATE)
        for word, cell in pairs:
            column = column_of(word)
            if column is None:
                continue
            how = column[0] is Column.CONTENT and _HOW.fullmatch(word) is not None
            if column[0] in kinds and (
                column[0] in _REPEATING
                or (column[0] is Column.CONTENT and kinds & {Column.PLACE, Column.COUNT} and (told_how or not how))
            ):
                close()
            current.append((word, cell))
            kinds.add(column[0])
            told_how = told_how or how
        start = end + 1
    close()
    readable = [block for block in blocks if _is_activity(block)]
    if len(readable) < 2:
        return None
    activities = []
    for block in readable:
        words = [word for word, _ in block]
        columns = [column_of(word) or (Column.REMARK, None) for word in words]
        header = Header([c[0] for c in columns], [c[1] for c in columns], words, [0] * len(words), False)
        slots: list[Cell | None] = [cell for _, cell in block]
        dated, _ = row_date(slots, header, today, None)
        activity = row_activity(original, slots, header, dated, "", today)
        if activity is not None:
            activities.append(activity)
    return activities if len(activities) >= 2 else None


def _pairs(text: str, start: int, end: int) -> list[tuple[str, Cell]]:
    """The key：value pairs of the line text[start:end]; each value runs to the next key."""
    keys = list(_KEY.finditer(text, start, end))
    pairs = []
    for index, key in enumerate(keys):
        value_end = keys[index + 1].start() if index + 1 < len(keys) else end
        value = text[key.end() : value_end]
        stripped = value.strip(" \t，,；;。")
        if stripped:
            offset = key.end() + value.index(stripped[0])
            pairs.append((key.group("key"), Cell(stripped, offset, offset + len(stripped))))
    return pairs


def _is_activity(block: list[tuple[str, Cell]]) -> bool:
    kinds = {(column_of(word) or (Column.REMARK, None))[0] for word, _ in block}
    return len(block) >= 2 and bool(kinds & {Column.DATE, Column.CONTENT}) and bool(kinds - {Column.DATE})
