"""Reporting units by name and alias, and where a text names them.

The directory is built from the ``[[units]]`` blocks of the config: every unit's name and aliases
resolve to its canonical name, and a county unit's ``place`` (凌源市, 建平县…) is known too, so
the parser can tell "凌源市局" (the unit) from "凌源市体育广场" (a place).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.campaign import UnitConfig

# An alias right after one of these is another level's office: 县公安局 is not 市公安局,
# 省市场监管局 is not 市场监管局.
_OTHER_LEVEL = ("省", "县", "区", "镇", "乡", "村", "旗", "国家")


def _squeeze(text: str) -> str:
    return "".join(text.split())


@dataclass(frozen=True)
class UnitMention:
    """A unit alias or a unit's place found in a text, [start, end) in that text."""

    start: int
    end: int
    unit: str
    is_place: bool


class UnitDirectory:
    def __init__(self, units: Sequence[UnitConfig]) -> None:
        self.names: tuple[str, ...] = tuple(unit.name for unit in units)
        self._by_alias: dict[str, str] = {}
        self._by_place: dict[str, str] = {}
        for unit in units:
            for alias in (unit.name, *unit.aliases):
                self._by_alias[_squeeze(alias)] = unit.name
            if unit.place:
                self._by_place[_squeeze(unit.place)] = unit.name
        # County-level cities (凌源市): "凌源市公安局" must not read as 市公安局.
        self._city_stems = tuple(place[:-1] for place in self._by_place if place.endswith("市"))
        terms = sorted({*self._by_alias, *self._by_place}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, terms))) if terms else None

    def canonical(self, name_or_alias: str) -> str | None:
        """The unit's name for an exact (whitespace-insensitive) name or alias, else None."""
        return self._by_alias.get(_squeeze(name_or_alias))

    def unit_of_place(self, place: str) -> str | None:
        return self._by_place.get(_squeeze(place))

    def mentions(self, text: str) -> tuple[UnitMention, ...]:
        """Unit aliases and places named in ``text``, leftmost-longest, in order.

        An alias that is only part of a longer place ("喀左" in "喀左县城") counts as the place.
        """
        if self._pattern is None:
            return ()
        found: list[UnitMention] = []
        for match in self._pattern.finditer(text):
            term = match.group()
            before = text[: match.start()]
            if term in self._by_alias:
                if before.endswith(_OTHER_LEVEL) and not term.startswith("市"):
                    continue
                if term.startswith("市") and before.endswith(self._city_stems):
                    continue
                found.append(UnitMention(match.start(), match.end(), self._by_alias[term], False))
            else:
                found.append(UnitMention(match.start(), match.end(), self._by_place[term], True))
        return tuple(found)
