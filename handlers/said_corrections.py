"""Corrections said in plain words: “刚才那条人数写错了，应该是350人”, “地点不对，是在市图书馆”.

People rarely type ``改 人数 350``; they say what was wrong and what it should be. A message is
read as a correction when it has a correction cue (写错, 不对, 应该是, 改成, 不是…是 …). Its
parts: which record (``第N条``, else the latest), which field (a field word before the new value,
else what the value itself says: 350人 is a head count, 500份 materials, 22号 a date), and the new
value (what follows 应该是/改成/是/为, else what follows the cue). What cannot be told apart is
left ``None`` for the route to ask about — a correction is never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from handlers.parsing.dates import find_dates
from handlers.parsing.normalize import normalize
from handlers.parsing.numerals import NUMBER, to_int
from handlers.wording import FIELD_WORDS, type_from_words
from storage.vocabulary import CountKind, by_unit

_CUE = re.compile(
    r"写错|打错|填错|报错|弄错|搞错|错了|不对|有误|更正|纠正|改成|改为|应为|应该是|其实是|实际是|实际上是"
    r"|不是[^，,。；]{1,12}[，,]?\s*(?:而)?是"
)
_NUMBERED = re.compile(rf"第\s*({NUMBER})\s*条")
# Where the new value starts; 是 after 不 belongs to the wrong value ("不是图书馆，是文化馆").
_VALUE_START = re.compile(r"应该是|应为|改成|改为|改到|其实是|实际上是|实际是|(?<!不)是|(?<![成认])为|[:：]")
_TRAILING = re.compile(r"[，,。.！!~～…\s]+$|[吧啊呀哈]+$|才对$|的$")
# Natural words for fields beyond the command's vocabulary.
_MORE_FIELD_WORDS = {"位置": "location", "地方": "location", "几号": "date", "哪天": "date", "活动类型": "type"}
_FIELD_WORDS = {**FIELD_WORDS, **_MORE_FIELD_WORDS}
_FIELD_PATTERN = re.compile("|".join(sorted(map(re.escape, _FIELD_WORDS), key=len, reverse=True)))
# A count's measure word says which count it is: "350人" is a head count (人次 is tried first).
_COUNT_UNITS = by_unit()
_HEADS = re.compile(rf"({NUMBER})\s*(?:个)?(?:人|名)(?!次)")


@dataclass(frozen=True)
class SaidCorrection:
    number: int | None  # 第N条, else None: the sender's latest record
    field: str | None  # an Activity column, None when the message does not say which
    value_text: str  # what the new value was said as ("" when none was said)


def read_correction(text: str, today: date) -> SaidCorrection | None:
    """The correction ``text`` asks for, or None if it is not worded as a correction."""
    flat = normalize(text)
    cue = _CUE.search(flat)
    if cue is None:
        return None
    numbered = _NUMBERED.search(flat)
    number = to_int(numbered.group(1)) if numbered else None
    start = _VALUE_START.search(flat, cue.start())
    if start is not None and start.start() >= cue.start():
        subject, value = flat[: start.start()], flat[start.end() :]
    else:
        subject, value = flat[: cue.start()], flat[cue.end() :]
    value = _TRAILING.sub("", value.strip().lstrip("了啦，,。 ")).strip()
    field = _field_named(_NUMBERED.sub("", subject)) or _field_named(value) or field_of_value(value, today)
    return SaidCorrection(number, field, value)


def has_reference(text: str) -> bool:
    """The message points at a record (第N条, 刚才那条…), not only at a field."""
    return bool(_NUMBERED.search(normalize(text)) or re.search(r"刚才|刚刚|上一条|上条|最后一条|最近一条|那条", text))


def _field_named(text: str) -> str | None:
    fields = {_FIELD_WORDS[m.group()] for m in _FIELD_PATTERN.finditer(text)}
    return fields.pop() if len(fields) == 1 else None


def field_of_value(value: str, today: date) -> str | None:
    """Which field a bare value belongs to, when only one reading is possible."""
    if not value:
        return None
    for word, field in _COUNT_UNITS:
        if re.search(rf"(?:{NUMBER})\s*{word}", value):
            return field
    if _HEADS.search(value):
        return CountKind.PARTICIPANTS
    if not re.search(NUMBER, value) and type_from_words(value):
        return "type"
    if find_dates(value, today):
        return "date"
    return None
