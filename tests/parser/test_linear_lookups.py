"""The parser's linear lookups answer exactly what the scans they replaced answered (issue 9:
every stage linear in the message length; speed itself is measured in bench/parse.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.parsing import attendees
from handlers.parsing.positions import ByStart


@dataclass(frozen=True)
class Item:
    start: int


starts = st.lists(st.integers(0, 40), max_size=12).map(sorted)


@given(starts, st.integers(-2, 45), st.integers(-2, 45))
def test_within_and_first_are_the_items_starting_in_the_span(positions: list[int], start: int, end: int) -> None:
    items = [Item(p) for p in positions]
    scanned = [item for item in items if start <= item.start < end]
    ordered = ByStart(items)
    assert list(ordered.within(start, end)) == scanned
    assert len(ordered.within(start, end)) == len(scanned)
    assert ordered.first(start, end) == next(iter(scanned), None)
    if scanned:
        assert ordered.within(start, end)[-1] == scanned[-1]
        assert list(ordered.within(start, end)[1:]) == scanned[1:]


def test_items_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError):
        ByStart([Item(3), Item(1)])


# The regex the department cut replaced: tried from every character, quadratic on a long part.
_OLD_DEPARTMENT_END = re.compile(rf".*(?:科|处|室|股|办|部|中心|大队|中队|所|庭|队|局|委|院|{attendees._TITLES})")


@given(st.text(alphabet="法规科处中心大队局长副主任同志王张伟磊是a ", max_size=30))
def test_the_department_cut_is_the_old_regex(part: str) -> None:
    assert attendees._after_department(part) == _OLD_DEPARTMENT_END.sub("", part)
