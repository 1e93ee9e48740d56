"""The parser's linear lookups answer exactly what the scans they replaced answered (issue 9:
every stage linear in the message length; speed itself is measured in bench/parse.py)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.config import Settings
from handlers.parsing import (
    articles,
    attendees,
    clauses,
    date_finders,
    framing,
    intent,
    keywords,
    locations,
    numerals,
    parse_report,
    tables,
)
from handlers.parsing.directory import UnitDirectory
from handlers.parsing.normalize import MASK, mask
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


spans = st.tuples(st.integers(0, 20), st.integers(0, 20))


@given(st.text(alphabet="在广场宣传□，", max_size=20), st.lists(spans, max_size=6))
def test_masking_in_slices_masks_each_character_of_every_span(text: str, masked: list[tuple[int, int]]) -> None:
    """mask copies the text between sorted spans: any order, overlaps and empty spans included."""
    masked = [(min(start, len(text)), min(end, len(text))) for start, end in masked]
    chars = list(text)
    for start, end in masked:
        chars[start:end] = MASK * max(0, end - start)
    assert mask(text, masked) == "".join(chars)


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


# The type words with their regex syntax dropped, to draw texts full of words and near-words from.
_KEYWORD_PIECES = sorted(
    {
        piece
        for entry in keywords._ENTRIES
        for piece in re.split(r"\(\?[^)]*\)|\\.|[\[\]{}?*+|()^,0-9]", entry[0])
        if piece
    }
    | set("，。 □12企业了场")
)


@example("，".join(_KEYWORD_PIECES))  # every word's opening, whatever is drawn
@given(st.lists(st.sampled_from(_KEYWORD_PIECES), max_size=10).map("".join))
def test_the_type_words_found_among_words_are_one_alternations(text: str) -> None:
    """Skipping positions whose first two characters start no word finds every word (texts of the
    words' own pieces, where random characters seldom make one)."""
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
    *(
        (pattern, _DATE_CHARS)
        for pattern in (date_finders._MONTH_DAY, date_finders._NUMERIC, date_finders._DAY_ONLY, date_finders._WEEKDAY)
    ),
    (clauses._ENUMERATOR, _ENUMERATOR_CHARS),
    # Their opening characters are written by hand (classes and groups among the alternatives):
    # texts drawn from the alternatives' own words, where random characters seldom make one.
    (
        framing._PLAN_CUE,
        (
            *("计划", "准备", "打算", "拟", "预计", "定于", "定在", "下一步", "还要", "还将", "将要", "将于"),
            *("将在", "后续", "届时", "到时候", "明天", "明日", "后天", "明后", "下周", "将继续", "将把"),
            *("正在筹备", "正筹备", "抓紧筹备", "积极筹备", "筹备中", "日前报送", "号之前上报", "按", "原"),
            *("精心", "了", "好", "内", "派", "草", "已", " ", "，"),
        ),
    ),
    (
        intent._QUESTION,
        (
            *("？", "?", "请问", "怎么", "如何", "哪里", "在哪", "哪个", "哪天", "哪些", "什么", "何时"),
            *("几点", "几号", "是否", "能否", "可否", "可以吗", "行吗", "吗", "呢", "么", "能不能"),
            *("可不可以", "行不行", "有没有", "还是发邮箱", "还是发邮箱啊", "啊", "讲了", "总结", " ", "，", "\n"),
        ),
    ),
]


@pytest.mark.parametrize(("pattern", "alphabet"), _GATED)
@given(data=st.data())
def test_the_scans_ask_first_what_a_match_opens_with(
    pattern: re.Pattern[str], alphabet: str | tuple[str, ...], data: st.DataObject
) -> None:
    """The lookahead on a match's first character only skips positions where none can start."""
    if isinstance(alphabet, str):  # characters
        text = data.draw(st.text(alphabet=alphabet, max_size=30))
    else:  # pieces
        text = data.draw(st.lists(st.sampled_from(alphabet), max_size=10).map("".join))
    ungated = re.compile(_OPENING.sub("", pattern.pattern, count=1))
    assert ungated.pattern != pattern.pattern
    gated = [(m.span(), m.groupdict()) for m in pattern.finditer(text)]
    assert gated == [(m.span(), m.groupdict()) for m in ungated.finditer(text)]


# The location markers with their guard moved behind the character (so that re skips in C to
# where the character stands): each must find what the guard before it found.
_PLACE_CHARS = "在于关对由到收达去走进赴社区广场中心集赶镇村开展宣传了 ，。\n1"
_GUARD_MOVED = [
    (locations._IN, r"(?:在|(?<![关对由基鉴属至终过等])于)"),
    (locations._ARRIVE, "(?<![收达得受看做识意提遇感找想])到"),
]


@pytest.mark.parametrize(("marker", "guard_first"), _GUARD_MOVED)
@given(text=st.text(alphabet=_PLACE_CHARS + "基鉴属至终过等得受看做识意提遇感找想", max_size=30))
def test_a_guard_behind_the_marker_finds_what_the_guard_before_it_found(
    marker: str, guard_first: str, text: str
) -> None:
    assert [m.span() for m in re.finditer(marker, text)] == [m.span() for m in re.finditer(guard_first, text)]


_ENDING_PLACES = st.builds(
    "".join,
    st.tuples(
        st.text(alphabet=_PLACE_CHARS, max_size=20),
        st.sampled_from(["", " ", "，", "\n"]),
        st.text(alphabet="龙城区双塔新华", max_size=12),
        st.sampled_from(locations._PLACE_END.split("|")),
        st.text(alphabet=" \n\t", max_size=4),
    ),
)


@given(_ENDING_PLACES)
def test_the_trailing_place_is_searched_only_near_the_end(text: str) -> None:
    """A place ending the message is found from TRAILING_REACH before its trailing spaces as from
    its start."""
    window = max(0, len(text.rstrip()) - locations.TRAILING_REACH)
    whole = locations._TRAILING.search(text)
    assert whole is None or whole.start() >= window
    assert [whole and whole.span()] == [(m := locations._TRAILING.search(text, window)) and m.span()]


# Pieces of location phrases: every pattern's marker, place words, verbs, counts and delimiters.
_LOCATION_PIECES = [
    *"在于到去赴对给为向办搞摆 ，。\n12一家个户所那边了",
    *("今天", "上午", "赶集", "赶", "参观", "依托", "借助", "利用", "线上", "地点：", "地点", "走进", "开进"),
    *("深入", "来到", "前往", "进入", "去了", "指导", "走访", "走访了", "开展", "宣传", "举办", "讲座", "直播"),
    *("县", "龙城区", "双塔", "社区", "广场", "中心", "大集", "镇", "村", "服务大厅", "企业", "学校", "门口"),
]


# One phrase each pattern finds, so that every marker is checked whatever is drawn.
_LOCATION_PHRASES = (
    "地点：县社区，在县中心开展宣传，在双塔广场，依托双塔县服务中心开展讲座，今天双塔社区宣传，赶县大集，今天龙城区赶集，"
    "到双塔社区宣传，到龙城区镇，对双塔社区3家企业，走进县社区开展，今天去双塔县社区宣传，参观双塔县中心，线上直播讲座"
)


@example(_LOCATION_PHRASES)
@given(st.lists(st.sampled_from(_LOCATION_PIECES), max_size=12).map("".join))
def test_a_location_pattern_skipped_without_its_text_could_not_match_without_it(text: str) -> None:
    for pattern, needed in locations._NEEDS.items():
        for match in pattern.finditer(text):
            if isinstance(needed, re.Pattern):
                assert needed.search(match.group()) is not None
            else:
                assert any(word in match.group() for word in needed)


# Scans skipped where a message lacks every word one of their matches must hold.
_NEEDED_WORDS = [
    (framing._ALREADY_REPORTED, framing._ALREADY_REPORTED_NEEDS, "（已经单独都报过了了）。，\n 23日讲堂"),
    (framing._SELF_CORRECTED, framing._SELF_CORRECTED_NEEDS, "在于到赴去，,不对说错了是应该为哦不2三家份人 中学"),
    (attendees._NAME_THEN_ATTENDS, attendees._NAME_THEN_ATTENDS_NEEDS, "王磊张伟参会出席加启动仪式 \n，"),
]
# An article's apparatus lines, from the pieces of each kind (issue, publish line, office).
_APPARATUS_PIECES = [
    *"期第（）()年月日12二 -:.原创编",
    *("2026", "工作简报", "信息", "动态", "第3期", "总第", "朝阳教育", "《朝阳日报》", "版", "辽宁", "发了"),
    *("办公室", "秘书科", "综合股", "县市场监督管理局", "印发", "10:12", "2026年4月22日", "2026-04-24"),
]


@example("信息快报（2026年第3期）")
@example("工作动态（二）")
@example("朝阳教育  2026-04-24 18:02")
@example("双塔区市场监督管理局办公室编")
@given(st.lists(st.sampled_from(_APPARATUS_PIECES), max_size=10).map("".join))
def test_an_apparatus_line_pattern_skipped_without_its_text_could_not_match_without_it(line: str) -> None:
    for pattern, held in articles._APPARATUS_LINES:
        if held is not None and pattern.fullmatch(line):
            assert held.search(line) is not None


@pytest.mark.parametrize(("pattern", "needed", "alphabet"), _NEEDED_WORDS)
@given(data=st.data())
def test_a_scan_skipped_without_its_words_could_not_match_without_them(
    pattern: re.Pattern[str], needed: tuple[str, ...], alphabet: str, data: st.DataObject
) -> None:
    text = data.draw(st.text(alphabet=alphabet, max_size=30))
    assert all(any(word in match.group() for word in needed) for match in pattern.finditer(text))


@given(
    st.lists(
        st.sampled_from(
            ["计划", "按", "原", "准备", "了", "拟", "派", "将", "继续", "明天", "日", "前", "报送", "正在", "筹备"]
        )
        | st.sampled_from(list("，,；;。！!？?\n 去发")),
        max_size=16,
    ).map("".join)
)
def test_a_clauses_first_plan_cue_is_the_first_cue_of_the_message_starting_in_it(text: str) -> None:
    """plan_spans scans the message for cues once: each clause's own search finds the same cue."""
    cues = [match.span() for match in framing._PLAN_CUE.finditer(text)]
    for clause in framing._CLAUSE.finditer(text):
        own = framing._PLAN_CUE.search(clause.group())
        first = next((span for span in cues if clause.start() <= span[0] < clause.end()), None)
        assert (own and (clause.start() + own.start(), clause.start() + own.end())) == first


def _rsvp_reading_names_first(text: str, signals: intent.Signals, only_asks: bool) -> bool:
    """_is_rsvp as it was, reading the names before anything else: the lazy one must agree."""
    i = intent
    if i._ATTENDED.search(text) or (i._SPOKE.search(text) and not i._AHEAD.search(text)):
        return False
    named = signals.has_attendees or i.PHONE.search(text) is not None
    if only_asks and not named and i._SENDING.search(text) is None:
        return False
    ceremony = i._CEREMONY.search(text) is not None
    signed_report = signals.has_activity_word and signals.has_counts and not ceremony
    if named and (i._ATTENDING.search(text) or ceremony) and not signed_report:
        return True
    sent_already = signals.dates_past and not named and not i._NOT_YET_SENT.search(text)
    sending = i._SENDING.search(text) is not None and not sent_already
    ahead = (not signals.has_date or not signals.dates_past) and not signals.ceremony_past
    going = (ceremony or named or signals.names_ceremony_day) and ahead
    going = going and i._GOING.search(text) is not None and not i._DONE.search(text)
    if going and not signals.has_activity_word:
        return True
    return sending or (i._LISTING.search(text) is not None and not signals.has_counts)


_RSVP_PIECES = [
    *("参加", "参会", "出席", "参加了", "举办", "并讲话", "将", "仪式", "报名", "拟派", "回执", "派员"),
    *("去", "已", "了", "参会人员", "王磊", "13900001111", "我局", "启动", "，", "。"),
]


_NO = [False] * 9


# (flags: has_trigger, has_activity_word, has_counts, has_date, has_location, dates_past,
# ceremony_past, names_ceremony_day, only_asks) One example per condition the names decide:
@example("13900001111参加", [*_NO[:8], True])  # a question that names someone
@example("王磊13900001111参加仪式", _NO)  # a name with attendance words
@example("报名13900001111", [False, False, False, True, False, True, False, False, False])  # sending
@example("13900001111去", _NO)  # someone going
@given(
    st.lists(st.sampled_from(_RSVP_PIECES), max_size=8).map("".join),
    st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_the_attendance_reply_reads_names_only_where_they_decide(text: str, flags: list[bool]) -> None:
    """_is_rsvp asks for the names last in each condition: the answer is the eager reading's."""
    signals = intent.Signals(
        *flags[:5],
        read_attendees=lambda: attendees.extract_attendees(text),
        dates_past=flags[5],
        ceremony_past=flags[6],
        names_ceremony_day=flags[7],
    )
    assert intent._is_rsvp(text, signals, flags[8]) == _rsvp_reading_names_first(text, signals, flags[8])


@given(st.text(alphabet="日期 地点活动内容　a1|\t", max_size=24), st.booleans())
def test_a_header_lines_pieces_are_counted_as_its_cells(line: str, single: bool) -> None:
    """_header counts a line's pieces before cutting it into cells (with their screen columns)."""
    line = line.replace("　", " ")  # as normalised
    if tables._delimited(line) is None:
        counted = sum(1 for piece in tables._CELL_GAP[single].split(line) if piece.strip())
        assert counted == len([cell for cell in tables._cells(line, 0, len(line), single) if cell.text])
