"""The pieces the splitter works with: what the other modules found in the message (Found), the
clauses the message is cut into, and the stretch of it each activity takes (Segment).

The message is cut into clauses at punctuation, a closing bracket, line breaks, runs of spaces
(not inside a quoted title), spoken connectives written without punctuation (然后, 接着, 另外,
还有就是), a 、 after a counted item (开展宣传3场、走访企业6家) and enumerators (一是/二是, 1./2.,
（一）/（二）, ①②, 首先/其次). Each clause says whether it opens a sentence, an enumerated item or a
spaced item of a terse note.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from handlers.parsing.date_finders import DateMention
from handlers.parsing.keywords import Trigger, best
from handlers.parsing.locations import Location
from handlers.parsing.normalize import SENTENCE_ENDS, SPOKEN_JOINS, alternatives, first_chars, opens_with
from handlers.parsing.numerals import Quantity
from handlers.parsing.positions import ByStart
from storage.vocabulary import ActivityType

_ENUMERATOR = re.compile(
    opens_with(r"一二三四五六七八九十（(\d第首其再最①②③④⑤⑥⑦⑧⑨⑩") + "(?:"
    r"(?<![统唯单第万之])[一二三四五六七八九十]是(?!否)"
    # "今天主要两件事一个是…再一个是…": spoken items
    r"|(?<![这那每有中])(?:再|另外?)?一个就?是(?!否)"
    r"|(?:^|(?<=[\s，,；;。：:！!]))(?:[（(][一二三四五六七八九十\d]{1,2}[）)]|[一二三四五六七八九十]{1,2}、"
    r"|\d{1,2}[、.)）](?!\d)|第[一二三四五六七八九十]+[，,、：:]|首先|其次|再次|最后)"
    r"|[①②③④⑤⑥⑦⑧⑨⑩]"
    ")"
)
# "…讲了一课（初二学生260人）中午赶到…": a closing bracket ends a clause too.
_BREAK = re.compile(r"[，,；;。！!？?：:\n）)]|\s+")
# (Opening on a connective's first character: the lookbehind keeps re from skipping to one by itself.)
_SPOKEN_JOIN = re.compile(
    opens_with(first_chars(alternatives(SPOKEN_JOINS))) + rf"(?<![\s，,；;。！!？?：:\n])(?:{SPOKEN_JOINS})"
)
# "共开展集中宣传活动3场、走访企业6家、专题培训1场": a 、 after a counted item lists the next item,
# as a space does in a terse note.
_COUNTED_ITEM_END = re.compile(r"[\d一二三四五六七八九十两百千万]\s*(?:场次|场|次|家|份|人次|人|篇|条|期|个|件|户)、")
_QUOTED = re.compile(r"“[^“”\n]{1,30}”|《[^《》\n]{1,40}》")


class Clause(NamedTuple):  # a named tuple, not a frozen dataclass: made per clause, four times faster
    start: int
    end: int
    sentence_start: bool
    enumerated: bool
    spaced: bool  # follows a run of spaces or a counted item's 、, as items do in terse notes


@dataclass
class Segment:
    """One activity's stretch [start, end) of the message and what decides its type."""

    start: int
    end: int
    head: Trigger | None = None
    weak: list[Trigger] = field(default_factory=list)
    # "…上午培训 下午宣传 培训来了四十多人": counts told later of an earlier activity, by its kind.
    refers_to: Segment | None = None

    @property
    def type(self) -> str:
        decider = self.head or best(self.weak)
        return decider.type if decider else ActivityType.OTHER

    @property
    def type_stated(self) -> bool:
        return bool(self.head or self.weak)


class Found(NamedTuple):  # not a frozen dataclass: one a message, ~1 us cheaper to make
    """What the other modules found in the message, by position."""

    masked: str  # unit names and places masked
    evidence: str  # unit names masked
    dates: ByStart[DateMention]
    locations: ByStart[Location]
    quantities: ByStart[Quantity]


@lru_cache(maxsize=256)
def _break_flags(cut: str) -> tuple[bool, bool, bool]:
    """The Clause flags after a break (a few punctuation marks and runs of spaces, again and again)."""
    return not SENTENCE_ENDS.isdisjoint(cut), False, cut.isspace()


def cut_clauses(text: str) -> list[Clause]:
    cuts: dict[int, tuple[bool, bool, bool]] = {0: (True, False, False)}  # position -> Clause flags
    quoted = [match.span() for match in _QUOTED.finditer(text)]
    quoted_starts = [start for start, _ in quoted]
    for match in _BREAK.finditer(text):
        flags = _break_flags(match.group())
        # Titles do not overlap: only the last one opening before the break can hold it.
        title = bisect_left(quoted_starts, match.start()) - 1 if flags[2] and quoted else -1
        if title >= 0 and match.start() < quoted[title][1]:
            continue  # “打击侵权假冒 守护校园”法治讲座: a space inside a title cuts nothing
        cuts.setdefault(match.end(), flags)
    for match in _SPOKEN_JOIN.finditer(text):
        cuts.setdefault(match.start(), (False, False, False))
    for match in _COUNTED_ITEM_END.finditer(text) if "、" in text else ():
        cuts.setdefault(match.end(), (False, False, True))
    for match in _ENUMERATOR.finditer(text):
        cuts[match.start()] = (True, True, False)
    positions = sorted(p for p in cuts if p < len(text))
    clauses = []
    for start, end in zip(positions, [*positions[1:], len(text)], strict=True):
        if text[start:end].strip(" ，,；;。！!？?：:\n"):
            clauses.append(Clause(start, end, *cuts[start]))
    return clauses
