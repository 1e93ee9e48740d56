"""Activities written as key：value blocks, one block per activity (a table turned on its side).

    时间：4月21日上午            活动名称：主题展板展览      1.时间：4.21 地点：… 形式：… 企业：9家
    地点：北票市体育广场          活动时间：4月20日—26日      2.时间：4.23 地点：… 资料：60册
    形式：集中宣传               …

A key is a column word (see columns); a line may hold several pairs ("时间：4.21 地点：市民中心"),
and a two-cell line pasted from a table turned on its side ("参加企业<tab>26家") is one pair. A pair
whose key is no column word ("发放《维权指引》：60册", "接受咨询：15家次") is read as the block's
own words, for its type and counts.
A block ends at a blank line, a separator (——, 活动一, 【活动2】), a line that is only a date (which
opens the next block with it), or when a key of a kind already in the block comes again (a second
时间, see _REPEATING). Each block is read as one table row (see rows). A single block is read here
only when it is a whole form: three keys or more, each opening its line, one of them a date; its
other lines (a title, "同步召开…座谈会") are its words too. A content value listing kinds of work
apart ("形式：官网每日发布信息；业务大厅设立咨询台") is one activity per kind, each with its counts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from handlers.parsing.columns import Cell, Column, Header, column_of
from handlers.parsing.dates import find_dates
from handlers.parsing.keywords import best, find_triggers
from handlers.parsing.model import COUNT_FIELDS, ParsedActivity
from handlers.parsing.rows import row_activity, row_date
from storage.vocabulary import ActivityType, CountKind

# "时间：", "1.时间:", "活动地点 ：": a key of at most 10 characters before a colon.
_KEY = re.compile(r"(?:^|(?<=\s))(?:\d{1,2}[.、]\s*)?(?P<key>[^\s:：，,。；;]{1,10})\s*[:：]")
_SEPARATOR = re.compile(
    r"^\s*(?:[—\-=_*·]{2,}|【?活动\s*[\d一二三四五六七八九十]+】?|[\d一二三四五六七八九十]+[.、]?)\s*$"
)
# 活动名称 and 形式 are both content of one activity; a second date or place opens the next, and
# so does content after the block's place or counts (活动名称：… 地点：… 人数：… 活动名称：…).
_REPEATING = frozenset({Column.DATE, Column.PLACE})
# "参加企业<tab>26家", "时间    4月24日": a line of two cells, the first a column word.
_SIDEWAYS_PAIR = re.compile(r"^\s*(?P<key>[^\s:：]{1,10})(?:\t+|\s{2,})(?P<value>\S.*?)\s*$")
_PARTS = re.compile("[；;]")
# The kind of work a count belongs to, when one form lists several: leaflets at the stand, pieces
# published, enterprises visited; what has no home kind listed stays with the first.
_HOME_KIND: dict[str, str] = {
    CountKind.MATERIALS: ActivityType.PUBLICITY,
    CountKind.CONSULTATIONS: ActivityType.PUBLICITY,
    CountKind.ARTICLES: ActivityType.MEDIA,
    CountKind.ENTERPRISES: ActivityType.VISIT,
}
# 形式/方式 tells how the activity named above was done ("活动名称：… 地点：… 形式：发放宣传册、现场答疑"):
# it opens no block of its own unless the block already told how.
_HOW = re.compile(r"(?:活动|宣传)?(?:形式|方式)")


def read_blocks(text: str, today: dt.date, original: str) -> list[ParsedActivity] | None:
    """The activities of two or more key：value blocks in ``text`` (normalised), else None;
    ``original``: the message as written, cut for each activity's source text."""
    if ":" not in text and "：" not in text and "\t" not in text and "  " not in text:
        return None  # a key ends in a colon (_KEY) or is set apart by a tab or spaces (_SIDEWAYS_PAIR)
    blocks: list[list[tuple[str, Cell]]] = []
    current: list[tuple[str, Cell]] = []
    kinds: set[Column] = set()
    said: list[str] = []  # each block's words that are no column's value
    saying = ""  # the current block's
    loose: list[str] = []  # lines of no pair, and words before any block: a single block's words
    line_keys = 0  # keys opening their line
    told_how = False

    def close() -> None:
        nonlocal current, kinds, saying, told_how
        if current:
            blocks.append(current)
            said.append(saying)
        current, kinds, saying, told_how = [], set(), "", False

    lines: list[tuple[str, int, list[tuple[str, Cell]]]] = []
    start = 0
    for line in text.split("\n"):
        lines.append((line, start, _pairs(text, start, start + len(line))))
        start += len(line) + 1
    # Every block read has a key of a kind besides the date (see _is_activity): under two such keys
    # in the whole text there are not two blocks, and no line needs its dates found.
    key_columns = (column_of(word) for _, _, pairs in lines for word, _ in pairs)
    if sum(column is not None and column[0] is not Column.DATE for column in key_columns) < 2:
        return None
    for line, start, pairs in lines:
        end = start + len(line)
        if not pairs:
            date_only = find_dates(line, today)
            if not line.strip() or _SEPARATOR.match(line):
                close()
            elif date_only and len(line.strip()) <= date_only[0].end - date_only[0].start + 2:
                close()
                current.append(("日期", Cell(line.strip(), start, end)))
                kinds.add(Column.DATE)
            else:
                loose.append(line.strip())
        elif text[start : pairs[0][1].start].strip().startswith(pairs[0][0]):
            line_keys += 1
        for word, cell in pairs:
            column = column_of(word)
            if column is None:
                if current:
                    saying += f" {word}：{cell.text}"
                else:
                    loose.append(f"{word}：{cell.text}")
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
    close()
    readable = [(block, extra) for block, extra in zip(blocks, said, strict=True) if _is_activity(block)]
    if len(readable) == 1 and _is_form(readable[0][0], line_keys):
        readable = [(readable[0][0], " ".join([readable[0][1], *loose]))]
    elif len(readable) < 2:
        return None
    activities = []
    for block, extra in readable:
        keys = [word for word, _ in block]
        columns = [column_of(word) or (Column.REMARK, None) for word in keys]
        header = Header([c[0] for c in columns], [c[1] for c in columns], keys, [0] * len(keys), False)
        slots: list[Cell | None] = [cell for _, cell in block]
        dated, _ = row_date(slots, header, today, None)
        activity = row_activity(original, slots, header, dated, extra, today)
        if activity is not None:
            contents = [
                cell.text for (_, cell), kind in zip(block, header.kinds, strict=True) if kind is Column.CONTENT
            ]
            activities.extend(_by_kind(activity, contents))
    return activities if len(activities) >= 2 or len(readable) == 1 else None


def _pairs(text: str, start: int, end: int) -> list[tuple[str, Cell]]:
    """The key：value pairs of the line text[start:end]; each value runs to the next key."""
    keys = list(_KEY.finditer(text, start, end))
    if not keys:
        sideways = _SIDEWAYS_PAIR.match(text[start:end])
        if sideways is None or column_of(sideways.group("key")) is None or "\t" in sideways.group("value"):
            return []
        return [
            (
                sideways.group("key"),
                Cell(sideways.group("value"), start + sideways.start("value"), start + sideways.end("value")),
            )
        ]
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


def _is_form(block: list[tuple[str, Cell]], line_keys: int) -> bool:
    """A single block read as a form: three keys or more opening their lines, one of them a date."""
    dated = any((column_of(word) or (Column.REMARK, None))[0] is Column.DATE for word, _ in block)
    return dated and line_keys >= 3


def _by_kind(activity: ParsedActivity, contents: list[str]) -> list[ParsedActivity]:
    """One activity per kind of work a content value lists apart ("官网每日发布信息；业务大厅设立咨询台"),
    each count with the kind it belongs to (see _HOME_KIND); otherwise ``activity`` as it is."""
    for content in contents:
        parts = [part for part in _PARTS.split(content) if part.strip()]
        deciders = [best(find_triggers(part, part)) for part in parts]
        kinds = list(dict.fromkeys(d.type for d in deciders if d is not None))
        if len(parts) >= 2 and len(kinds) >= 2 and all(d is not None for d in deciders):
            break
    else:
        return [activity]
    home = {name: _HOME_KIND[name] if _HOME_KIND.get(name) in kinds else kinds[0] for name in COUNT_FIELDS}

    def counted(name: str, kind: str) -> int | None:
        value: int | None = getattr(activity, name)
        return value if home[name] == kind else None

    return [
        replace(
            activity,
            type=kind,
            materials=counted(CountKind.MATERIALS, kind),
            consultations=counted(CountKind.CONSULTATIONS, kind),
            participants=counted(CountKind.PARTICIPANTS, kind),
            enterprises=counted(CountKind.ENTERPRISES, kind),
            articles=counted(CountKind.ARTICLES, kind),
        )
        for kind in kinds
    ]
