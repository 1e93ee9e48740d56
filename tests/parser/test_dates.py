"""Dates: every written form within ±30 days of the message resolves to the right day; a
weekday name never gives a day after the message."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.parsing.dates import find_dates
from tests.parser.chinese_numbers import chinese

MESSAGE_DAYS = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31))
WITHIN_30 = st.integers(min_value=-30, max_value=30)
WEEKDAYS = "一二三四五六日"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _month_day_forms(day: dt.date) -> list[str]:
    m, d = day.month, day.day
    return [
        f"{m}月{d}日",
        f"{m}月{d}号",
        f"{m}.{d}",
        f"{m}-{d}",
        f"{m}/{d}",
        f"{m}月{d}日".translate(FULL_WIDTH),
        f"{chinese(m)}月{chinese(d)}日",
        f"{day.year}年{m}月{d}日",
        f"{day:%Y-%m-%d}",
        f"{day.year}.{m}.{d}",
        f"{''.join('〇一二三四五六七八九'[int(c)] for c in str(day.year))}年{chinese(m)}月{chinese(d)}日",
    ]


def _resolve(written: str, sent: dt.date) -> tuple[dt.date, ...]:
    [mention] = find_dates(f"{written}在人民广场开展宣传，发放资料300份", sent)
    return mention.days


@given(MESSAGE_DAYS, WITHIN_30)
def test_month_day_forms(sent: dt.date, offset: int) -> None:
    day = sent + dt.timedelta(days=offset)
    for written in _month_day_forms(day):
        assert _resolve(written, sent) == (day,), written


@given(MESSAGE_DAYS, st.integers(min_value=-13, max_value=13))
def test_day_of_month_forms_take_the_nearest_month(sent: dt.date, offset: int) -> None:
    day = sent + dt.timedelta(days=offset)
    for written in (f"{day.day}号", f"{day.day}日", f"{chinese(day.day)}日" if day.day > 10 else f"{day.day}号"):
        assert _resolve(written, sent) == (day,), written


@pytest.mark.parametrize(
    ("word", "offset"),
    [("今天", 0), ("今早", 0), ("今晚", 0), ("昨天", -1), ("昨晚", -1), ("前天", -2), ("大前天", -3), ("明天", 1)],
)
@given(sent=MESSAGE_DAYS)
def test_relative_words(word: str, offset: int, sent: dt.date) -> None:
    assert _resolve(word, sent) == (sent + dt.timedelta(days=offset),)


@given(MESSAGE_DAYS, st.integers(min_value=-6, max_value=0), st.sampled_from(["周", "星期", "礼拜"]))
def test_weekday_names_are_the_most_recent_such_day(sent: dt.date, offset: int, word: str) -> None:
    day = sent + dt.timedelta(days=offset)
    assert _resolve(f"{word}{WEEKDAYS[day.weekday()]}", sent) == (day,)


@given(MESSAGE_DAYS, st.sampled_from(["周", "星期", "礼拜", "上周", "上星期", "上上周"]), st.integers(0, 6))
def test_a_weekday_name_is_never_a_future_day(sent: dt.date, word: str, weekday: int) -> None:
    [day] = _resolve(f"{word}{WEEKDAYS[weekday]}", sent)
    assert day <= sent
    assert day.weekday() == weekday


@given(MESSAGE_DAYS, st.integers(0, 6))
def test_this_week_and_last_week(sent: dt.date, weekday: int) -> None:
    monday = sent - dt.timedelta(days=sent.weekday())
    assert _resolve(f"本周{WEEKDAYS[weekday]}", sent) == (monday + dt.timedelta(days=weekday),)
    assert _resolve(f"上周{WEEKDAYS[weekday]}", sent) == (monday + dt.timedelta(days=weekday - 7),)


def test_zhoutian_and_xingqitian_are_sunday() -> None:
    sent = dt.date(2026, 4, 27)
    assert _resolve("周天", sent) == _resolve("星期天", sent) == (dt.date(2026, 4, 26),)


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ("4月20日至22日", (20, 21, 22)),
        ("4月20日-22日", (20, 21, 22)),
        ("4月20日至4月22日", (20, 21, 22)),
        ("4.20-4.22", (20, 21, 22)),
        ("20-22日", (20, 21, 22)),
        ("4月21日、22日", (21, 22)),
        ("4月21日和4月23日", (21, 23)),
        ("周一至周三", (20, 21, 22)),
    ],
)
def test_ranges_and_lists(written: str, days: tuple[int, ...]) -> None:
    assert _resolve(written, dt.date(2026, 4, 22)) == tuple(dt.date(2026, 4, d) for d in days)


def test_a_range_longer_than_a_week_keeps_its_first_day() -> None:
    assert _resolve("4月1日至30日", dt.date(2026, 4, 30)) == (dt.date(2026, 4, 1),)


@pytest.mark.parametrize(
    "text",
    [
        "4·26世界知识产权日在广场开展宣传",
        "围绕4月26日世界知识产权日开展宣传",
        "覆盖1.5万人",
        "走访1-2家企业",
        "上午9.30在广场集合",
        "电话138-0000-2222",
        "在3号楼开展宣传",
        "宣传周一是发放资料",
        "宣传周期间开展宣传",
        "第26个世界知识产权日",
        "今天报一下：",
    ],
)
def test_no_date_in(text: str) -> None:
    assert find_dates(text, dt.date(2026, 4, 22)) == []


@pytest.mark.parametrize(
    ("sent", "written", "meant"),
    [
        (dt.date(2026, 11, 23), "4月22日", dt.date(2026, 4, 22)),  # months later: last April
        (dt.date(2026, 4, 19), "4月22日", dt.date(2026, 4, 22)),  # days ahead: this April (noted)
        (dt.date(2026, 12, 28), "1月3日", dt.date(2027, 1, 3)),  # across New Year, days ahead
        (dt.date(2027, 1, 5), "12月30日", dt.date(2026, 12, 30)),  # across New Year, days back
    ],
)
def test_a_yearless_date_is_the_latest_not_far_ahead(sent: dt.date, written: str, meant: dt.date) -> None:
    [mention] = find_dates(written, sent)
    assert mention.days == (meant,)


WEEK = (dt.date(2026, 4, 20), dt.date(2026, 4, 26))


@pytest.mark.parametrize(
    ("text", "sent", "days"),
    [
        ("整个宣传周 在政务大厅设了咨询窗口", dt.date(2026, 4, 26), (dt.date(2026, 4, 20), dt.date(2026, 4, 26))),
        ("宣传周期间在步行街设固定宣传点 每天都有人", dt.date(2026, 4, 27), (WEEK[0], WEEK[1])),
        # written mid-week: the days so far, never a day ahead
        ("宣传周这七天每天推送一篇", dt.date(2026, 4, 22), (dt.date(2026, 4, 20), dt.date(2026, 4, 22))),
    ],
)
def test_the_whole_campaign_week_is_its_days(text: str, sent: dt.date, days: tuple[dt.date, dt.date]) -> None:
    [mention] = find_dates(text, sent, week=WEEK)
    assert (mention.days[0], mention.days[-1], mention.span) == (*days, True)


def test_the_week_named_only_as_a_frame_is_no_date() -> None:
    assert find_dates("宣传周期间，我局共发放资料500份", dt.date(2026, 4, 26), week=WEEK) == []
    assert find_dates("整个宣传周 在政务大厅设了咨询窗口", dt.date(2026, 4, 26)) == []  # no week configured


@pytest.mark.parametrize(
    ("text", "sent", "first", "last"),
    [
        ("21号开展到25号结束", dt.date(2026, 4, 25), 21, 25),
        ("从周一一直到周五在广场设点", dt.date(2026, 4, 26), 20, 24),
        ("上周三到上周五在三所小学讲座", dt.date(2026, 4, 27), 22, 24),
        ("从周二开始连着三天在中学讲座", dt.date(2026, 4, 24), 21, 23),
        ("这三天我们在商场轮流设点", dt.date(2026, 4, 22), 20, 22),
    ],
)
def test_spoken_ranges(text: str, sent: dt.date, first: int, last: int) -> None:
    [mention] = find_dates(text, sent)
    assert (mention.days[0].day, mention.days[-1].day, mention.span) == (first, last, True)


def test_yixia_is_no_next_week() -> None:
    [mention] = find_dates("说一下周三的情况", dt.date(2026, 4, 23))
    assert mention.days == (dt.date(2026, 4, 22),)


@pytest.mark.parametrize("text", ["23 24两天走访了五家企业", "25号26号在百货大楼门前设点"])
def test_days_side_by_side_are_a_list(text: str) -> None:
    [mention] = find_dates(text, dt.date(2026, 4, 26))
    assert [d.day for d in mention.days] == [int(text[:2]), int(text[:2]) + 1] and not mention.span
