"""Column words of a pasted table or a key：value block: which field a header word names.

日期/时间 a date, 地点/学校/渠道 a place, 活动内容/形式 what was done, 发放资料（份）/咨询人次/参与人数
a count (with the count field the word names, or none for 数量), 序号 and 备注 neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from storage.vocabulary import CountKind


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
        r"(?:活动)?(?:地点|场所|地址|位置)(?:/\S{1,4})?|学校|(?:发布|宣传|播出)?(?:媒体|平台|渠道)|媒体/平台|社区|乡镇",
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
    ("咨询|答疑|接待", CountKind.CONSULTATIONS),
    ("资料|材料|份|册|折页|手册|宣传单|传单|海报|张", CountKind.MATERIALS),
    ("稿件|篇|信息|条|报道|文章|推送", CountKind.ARTICLES),
    ("企业|家|户|商户", CountKind.ENTERPRISES),
    ("人|参与|参加|参会|参训|听众|观众|学生|师生|群众|旁听|参观|受众|覆盖", CountKind.PARTICIPANTS),
)
_COUNT_HEADER = re.compile(
    r"(?:发放|发布|参与|参加|参训|参会|接待|解答|走访|覆盖|受众|参观|旁听|听课|到场|服务|现场)?"
    r"(?:资料|宣传资料|材料|份数|咨询|咨询人次|咨询人数|人次|人数|人员|企业|企业数|家数|稿件|篇数|信息|条数|报道|"
    r"文章|学生|师生|群众|听众|观众|人|数量|参与|参加|参训|参会|到场|旁听|参观|情况|宣传情况|参与情况|合计|折页|手册|海报|师生人数|学生人数)"
    r"(?:人数|人次|份数|数)?(?:/(?:人数|份数|人次|篇数))?"
)
BRACKETED = re.compile(r"[（(][^（）()]{0,6}[）)]")
# The tables above compiled once (re's own cache is a lookup per call, and bounded).
_COLUMN_PATTERNS = tuple((kind, re.compile(words)) for kind, words in _COLUMN_WORDS)
_COUNT_FIELD_PATTERNS = tuple((re.compile(words), field) for words, field in _COUNT_FIELDS)
_BRACKETED_HEADER = re.compile(r"[\u4e00-\u9fff/]{1,6}")
# "走访企业（家）": a unit in brackets makes any header a number column.
_COUNTED_UNIT = re.compile(r"[（(](?:份|家|人|人次|篇|条|册|张|场|次|个|户)[）)]")


class Cell(NamedTuple):  # not a frozen dataclass: made for every cell of every line tried, ~3x cheaper
    text: str
    start: int  # position in the normalised message
    end: int
    column: int = 0  # where it starts on screen: a space-aligned paste lines up wide characters as two


def screen_columns(line: str) -> list[int]:
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
    bare = BRACKETED.sub("", word).strip(" :：*")
    if not bare:
        return None
    if _COUNTED_UNIT.search(word):
        return Column.COUNT, next((f for words, f in _COUNT_FIELD_PATTERNS[1:] if words.search(word)), None)
    for kind, words in _COLUMN_PATTERNS:
        if words.fullmatch(bare):
            return kind, None
    # "参观/参与人次": two count words for one column.
    both = "/" in bare and all(_COUNT_HEADER.fullmatch(part) for part in bare.split("/"))
    if both or _COUNT_HEADER.fullmatch(bare) or (bare != word.strip() and _BRACKETED_HEADER.fullmatch(bare)):
        field = next((f for words, f in _COUNT_FIELD_PATTERNS if words.search(word)), None)
        return Column.COUNT, field
    return None
