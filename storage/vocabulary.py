"""The campaign's vocabulary: every activity type and every count kind, declared once.

A type or count kind is its key (a ``StrEnum``: the value stored in ``activity.type`` and the
name of an ``Activity`` count column) and its terms: the Chinese label, the words people use
for it in chat, and what the exports need. Wording, questions, help texts, exports, charts,
digests, cards, the desk and the demo all derive from these declarations, so adding a type is a line
here (and the parser's trigger words); adding a count kind is a line here, the parser's words
and a column with its migration (tests/test_vocabulary.py checks the model and the parser match).

In storage, the lowest room, so every room (the parser included) may import it.

    >>> ActivityType.PUBLICITY.label
    '集中宣传'
    >>> CountKind.CONSULTATIONS.unit
    '人次'
    >>> [kind.label for kind in arrangements()]
    ['启动仪式', '集中宣传', '走访企业', '成果展示', '培训讲座']
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Self, cast


@dataclass(frozen=True)
class TypeTerms:
    label: str  # 集中宣传: replies, the ledger, the Word draft, the chart's legend, the desk
    words: tuple[str, ...]  # besides the label, what people call it when answering or correcting
    colour: str  # its bars in the summary draft's chart (matplotlib's tab10, muted for print)
    arrangement: int | None  # its number in the notice's 五、具体活动安排 (（二）集中宣传), None if not one
    verb: str = "开展"  # how a sentence says it was held: 举办培训讲座, 开展集中宣传
    has_place: bool = True  # False: a place is not asked for (an article has no venue)
    asked: bool = True  # offered when asking a record's type (the ceremony is known, never asked)


@dataclass(frozen=True)
class CountTerms:
    label: str  # 发放资料: said before the number, "发放资料200份"
    unit: str  # the measure word said after it
    words: tuple[str, ...]  # what corrections accept for it (改 人数 500); the first names it in help


class _Key(StrEnum):
    """A key whose member is declared with its terms: ``NAME = "key", Terms(...)``; the value is the key."""

    terms: TypeTerms | CountTerms

    def __new__(cls, key: str, terms: TypeTerms | CountTerms) -> _Key:
        member = str.__new__(cls, key)
        member._value_ = key
        member.terms = terms
        return member

    @classmethod
    def of(cls, key: str) -> Self:
        """The member whose value is ``key``; ValueError for none. ``cls(key)`` does this at runtime,
        but type checkers read that call against the two-argument ``__new__`` above."""
        # The enum's own index of its values: said for every record of every reply, where walking
        # the members cost more than the rest of the look-up.
        member = cls._value2member_map_.get(key)
        if member is None:
            raise ValueError(f"{key!r} is not a valid {cls.__name__}")
        return cast(Self, member)

    @property
    def label(self) -> str:
        return self.terms.label


class ActivityType(_Key):
    """What kind of activity a record is; the members' order is the order they are listed in."""

    terms: TypeTerms

    CEREMONY = "ceremony", TypeTerms("启动仪式", ("启动", "仪式"), "#c0504d", 1, verb="举办", asked=False)
    PUBLICITY = "publicity", TypeTerms("集中宣传", ("宣传",), "#4f81bd", 2)
    VISIT = "visit", TypeTerms("走访企业", ("走访", "调研", "上门"), "#9bbb59", 3)
    EXHIBITION = "exhibition", TypeTerms("成果展示", ("展示", "展览", "展销"), "#8064a2", 4, verb="举办")
    TRAINING = "training", TypeTerms("培训讲座", ("培训", "讲座", "报告会"), "#f79646", 5, verb="举办")
    MEDIA = "media", TypeTerms("媒体宣传", ("媒体", "报道", "宣传稿", "推送"), "#4bacc6", None, has_place=False)
    OTHER = "other", TypeTerms("其他活动", ("其他",), "#7f7f7f", None)


class CountKind(_Key):
    """What a record counts; each is a column of ``Activity``, said in this order."""

    terms: CountTerms

    MATERIALS = "materials", CountTerms("发放资料", "份", ("资料", "份数"))
    CONSULTATIONS = "consultations", CountTerms("咨询", "人次", ("咨询", "人次"))
    PARTICIPANTS = "participants", CountTerms("参与", "人", ("人数", "参与"))
    ENTERPRISES = "enterprises", CountTerms("企业", "家", ("企业", "家数"))
    ARTICLES = "articles", CountTerms("稿件", "篇", ("稿件", "篇数"))

    @property
    def unit(self) -> str:
        return self.terms.unit


ACTIVITY_TYPES: tuple[ActivityType, ...] = tuple(ActivityType)
COUNT_KINDS: tuple[CountKind, ...] = tuple(CountKind)


def arrangements() -> list[ActivityType]:
    """The types the notice arranges (五、具体活动安排), in the notice's order."""
    numbered = [kind for kind in ActivityType if kind.terms.arrangement is not None]
    return sorted(numbered, key=lambda kind: kind.terms.arrangement or 0)


def type_words() -> dict[str, ActivityType]:
    """Every word that names a type in chat (its label and its words) -> the type."""
    return {word: kind for kind in ActivityType for word in (kind.label, *kind.terms.words)}


def count_words() -> dict[str, CountKind]:
    """Every word corrections accept for a count kind -> the kind."""
    return {word: kind for kind in CountKind for word in kind.terms.words}


# Words for a record's fields besides its counts, in correction commands (改 日期 22日).
RECORD_FIELD_WORDS: dict[str, str] = {
    "日期": "date",
    "时间": "date",
    "类型": "type",
    "地点": "location",
    "地址": "location",
}


def field_words() -> dict[str, str]:
    """Every word corrections accept for a field -> the field (an ``Activity`` attribute); the
    first word for each field names it in help and questions."""
    return {**RECORD_FIELD_WORDS, **count_words()}


def by_unit() -> list[tuple[str, CountKind]]:
    """Measure words -> count kind, longest first (人次 before 人), for reading "350人" as a head count."""
    return sorted(((kind.unit, kind) for kind in CountKind), key=lambda pair: len(pair[0]), reverse=True)


def as_type(key: str) -> ActivityType | None:
    """The type a stored key names; None for a key this version does not know."""
    try:
        return ActivityType.of(key)
    except ValueError:
        return None


def type_label(key: str) -> str:
    """The label of a stored type key; an unknown key is said as it is."""
    kind = as_type(key)
    return kind.label if kind is not None else key
