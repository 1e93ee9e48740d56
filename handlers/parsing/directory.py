"""Reporting units by name and alias, and where a text names them.

The directory is built from the ``[[units]]`` blocks of the config: every unit's name and aliases
resolve to its canonical name, and a county unit's ``place`` (凌源市, 建平县…) is known too, so
the parser can tell "凌源市局" (the unit) from "凌源市体育广场" (a place).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple, Protocol


class UnitNames(Protocol):
    """What the directory reads of a unit (scheduler.campaign.UnitConfig has it): the parser is
    handed its units, it does not reach into the config's room."""

    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...
    @property
    def place(self) -> str | None: ...


# An alias right after one of these (or right after a county's place) is another level's
# office: 县公安局, 凌源市公安局 are not 市公安局, 省市场监管局 is not 市场监管局.
_OTHER_LEVEL = ("省", "县", "区", "镇", "乡", "村", "旗", "国家")


def _squeeze(text: str) -> str:
    return "".join(text.split())


class UnitMention(NamedTuple):  # not a frozen dataclass: made for every name found, ~3x cheaper
    """A unit alias or a unit's place found in a text, [start, end) in that text."""

    start: int
    end: int
    unit: str
    is_place: bool


class UnitDirectory:
    def __init__(self, units: Sequence[UnitNames]) -> None:
        self.names: tuple[str, ...] = tuple(unit.name for unit in units)
        self._by_alias: dict[str, str] = {}
        self._by_place: dict[str, str] = {}
        for unit in units:
            for alias in (unit.name, *unit.aliases):
                self._by_alias[_squeeze(alias)] = unit.name
            if unit.place:
                self._by_place[_squeeze(unit.place)] = unit.name
        terms = sorted({*self._by_alias, *self._by_place}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, terms))) if terms else None

    def canonical(self, name_or_alias: str) -> str | None:
        """The unit's name for an exact (whitespace-insensitive) name or alias, else None."""
        return self._by_alias.get(_squeeze(name_or_alias))

    def mentions(self, text: str) -> tuple[UnitMention, ...]:
        """Unit aliases and places named in ``text``, leftmost-longest, in order.

        An alias that is only part of a longer place ("喀左" in "喀左县城") counts as the place.
        """
        if self._pattern is None:
            return ()
        found: list[UnitMention] = []
        for match in self._pattern.finditer(text):
            term, start = match.group(), match.start()
            if term not in self._by_alias:
                found.append(UnitMention(start, match.end(), self._by_place[term], True))
                continue
            after_place = bool(found) and found[-1].is_place and found[-1].end == start  # 凌源市|公安局
            if after_place or text.endswith(_OTHER_LEVEL, 0, start):
                continue
            found.append(UnitMention(start, match.end(), self._by_alias[term], False))
        return tuple(found)
