"""The parser's linear lookups answer exactly what the scans they replaced answered (issue 9:
every stage linear in the message length; speed itself is measured in bench/parse.py)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from handlers.parsing import attendees, dates, keywords, numerals, parse_report, splitting
from handlers.parsing.directory import UnitDirectory
from handlers.parsing.positions import ByStart
from handlers.parsing.splitting import HELD_MAX_CHARS
from scheduler.clock import TZ


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


@pytest.mark.parametrize("fillers", [10, HELD_MAX_CHARS // 2 - 5, HELD_MAX_CHARS * 3 // 2])
def test_a_long_run_of_empty_clauses_loses_nothing(settings: Settings, fillers: int) -> None:
    """Clauses with nothing in them wait for the next; past HELD_MAX_CHARS they stay behind with
    the activity before (so a run of them is not read again with each one added): what comes
    before and after the run is still read, and the message still tiles into its activities."""
    units, now = UnitDirectory(settings.units), dt.datetime(2026, 4, 22, 18, 0, tzinfo=TZ)
    text = "今天在人民广场开展宣传，发放资料100份，" + "嗯，" * fillers + "下午在社区举办培训讲座，参加50人"
    activities = parse_report(text, now, "双塔区知识产权局", units).activities
    first = activities[0]
    assert (first.type, first.location, first.materials) == ("publicity", "人民广场", 100)
    assert sum(a.participants or 0 for a in activities) == 50
    assert "".join(a.source_text for a in activities).replace("，", "") == text.replace("，", "")


# The one alternation of all the type words that the per-first-character buckets replaced.
_ONE_ALTERNATION = re.compile("|".join(f"(?P<k{i}>{entry[0]})" for i, entry in enumerate(keywords._ENTRIES)))
_KEYWORD_CHARS = "".join(sorted({char for entry in keywords._ENTRIES for char in entry[0] if char >= "\u4e00"}))


@given(st.text(alphabet=_KEYWORD_CHARS + "，。 □123企业", max_size=40))
def test_the_type_words_found_are_one_alternations(text: str) -> None:
    """Skipping to where a word can start (and trying only the words starting there) finds what
    one alternation of all the words finds."""
    found = [(m.start(), m.end(), m.lastgroup) for m in keywords._matches(text)]
    assert found == [(m.start(), m.end(), m.lastgroup) for m in _ONE_ALTERNATION.finditer(text)]


# The scans that first ask what a match can open with (normalize.opens_with), each with the
# characters its matches are made of; without the lookahead each must find the same.
_OPENING = re.compile(r"\(\?=\[[^\]]*\]\)")
_COUNT_CHARS = "0123456789.,kK万千百十几两一二三五零约近超上大将逾过计余多来份人次家篇 个群众资料，"
_DATE_CHARS = "0123456789.-/·〇零一二三四五六七八九十廿卅年月日号至到～上本这下个周星期礼拜天末第楼 ，、"
_ENUMERATOR_CHARS = "一二三四五六七八九十是否统唯单第万之（()）、.0123456789首先其次再最后①②⑩ ，。：\n"
_GATED = [
    (numerals._QUANTITY, _COUNT_CHARS),
    *((pattern, _DATE_CHARS) for pattern in (dates._MONTH_DAY, dates._NUMERIC, dates._DAY_ONLY, dates._WEEKDAY)),
    (splitting._ENUMERATOR, _ENUMERATOR_CHARS),
]


@pytest.mark.parametrize(("pattern", "alphabet"), _GATED)
@given(data=st.data())
def test_the_scans_ask_first_what_a_match_opens_with(
    pattern: re.Pattern[str], alphabet: str, data: st.DataObject
) -> None:
    """The lookahead on a match's first character only skips positions where none can start."""
    text = data.draw(st.text(alphabet=alphabet, max_size=30))
    ungated = re.compile(_OPENING.sub("", pattern.pattern, count=1))
    assert ungated.pattern != pattern.pattern
    gated = [(m.span(), m.groupdict()) for m in pattern.finditer(text)]
    assert gated == [(m.span(), m.groupdict()) for m in ungated.finditer(text)]
