"""The date finders: each written form of a date, found in the text and resolved against the
message day (the forms and the resolution rules are listed in dates), into a DateMention.

Month-days (4月22日, 2026年4月23日), numeric dates (4.21, 2026-04-23), bare days (21号), relative
days (今天, 前天, 这三天, 今明两天), weekdays (周三, 上周六, 周一至周三), 世界知识产权日 and the
campaign week (整个宣传周); each with the range it may write (4月20日至22日, 20-22日).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from handlers.parsing.normalize import opens_with
from handlers.parsing.numerals import to_int

_CN_DAY = "[一二三四五六七八九十廿卅]{1,3}"
_DAY = rf"(?:\d{{1,2}}|{_CN_DAY})"
# "21号开展到25号结束", "从周一一直到周日": the run of days named by its ends.
_RANGE_JOIN = r"\s*(?:开展|开幕|开始|开放|开馆|一直)?(?:至|到|—|－|-|~|～|–)+\s*"
_MONTH_DAY = re.compile(
    opens_with(r"\d〇零一二三四五六七八九十") + r"(?:(?P<y>\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*)?"
    rf"(?P<m>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月\s*(?P<d>{_DAY})\s*(?:日|号)?"
    rf"(?:{_RANGE_JOIN}(?:(?P<m2>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月\s*)?(?P<d2>{_DAY})\s*(?:日|号)?)?"
)
_NUMERIC = re.compile(
    opens_with(r"\d")
    + r"(?<![\d.])(?:(?P<y>\d{4})(?P<sep0>[-./]))?(?P<m>\d{1,2})(?P<sep>[-./·])(?P<d>\d{1,2})(?![\d])(?:日|号)?"
    # "2026-04-22至2026-04-24": the last day may repeat the year
    rf"(?:{_RANGE_JOIN}(?:(?:\d{{4}}[-./])?(?P<m2>\d{{1,2}})[-./])?(?P<d2>\d{{1,2}})(?![\d.]))?"
)
_DAY_ONLY = re.compile(
    opens_with(r"\d一二三四五六七八九十廿卅") + rf"(?<![\d月.\-/第])(?P<d>{_DAY})\s*(?P<suffix>日|号)?"
    rf"(?:{_RANGE_JOIN}(?P<d2>{_DAY})\s*(?:日|号))?(?![楼院门线馆厅室栋单元号])"
)
# 昨儿个/今儿/前儿: the northern spoken forms.
_RELATIVE = re.compile(
    "大前天|前天|前日|前儿个|前儿|昨天|昨日|昨晚|昨夜|昨早|昨儿个|昨儿|今天|今日|今早|今晨|今晚|今儿个|今儿"
    "|明天|明日|明儿|后天"
)
# "这三天我们在…轮流设点": the run of days ending on the message day.
_RECENT_DAYS = re.compile(
    opens_with("这近最") + r"(?<!宣传周)(?:这|近|最近|这几)(?P<n>[两二三四五六七])天(?!前|后|内|里要)"
)
# "今明两天在大厅摆咨询台", "昨今两天": two neighbouring days named by their first characters, one run.
_DAY_PAIR = re.compile(r"(?P<a>[昨今明])(?P<b>[今明后])(?:两|二|2)天")
_PAIR_OFFSET = {"昨": -1, "今": 0, "明": 1, "后": 2}
# World Intellectual Property Day is 26 April everywhere; "世界知识产权日当天" is a date.
_IP_DAY = re.compile(r"(?:世界)?知识产权日(?:当天|那天|这天)|(?:在|于)世界知识产权日(?![前来之期])")
IP_DAY = (4, 26)
# "22、23号两天": a bare day listed before one with 日/号 is a day too.
# "20、21、22三天": bare days listed before the number of days.
# "23 24两天": a space lists them as well.
_BARE_RUN = re.compile(opens_with(r"\d") + r"(?<![\d.])\d{1,2}(?:(?:、|\s+)\d{1,2})+(?=\s*[两二三四五六七]天)")
_LISTED_BEFORE_DAY = re.compile(r"\s*[、和]\s*\d{1,2}\s*[日号](?![楼院门线馆厅室栋单元号])")
_RELATIVE_OFFSET = {
    **{"大前天": -3, "前天": -2, "前日": -2, "前儿个": -2, "前儿": -2},
    **{"明天": 1, "明日": 1, "明儿": 1, "后天": 2},
}
_WEEKDAY = re.compile(
    # "说一下周三的情况": 一下 is "a bit", no 下周.
    opens_with("上本这下个周星礼")
    + r"(?P<rel>上上|上|本|这|(?<!一)下)?个?(?P<w>周|星期|礼拜)(?P<d>[一二三四五六日天末1-7])"
    # "上周三到上周五": the second end may repeat the week
    rf"(?:{_RANGE_JOIN}(?:(?:上上|上|本|这|下)?个?(?:周|星期|礼拜))?(?P<d2>[一二三四五六日天1-7]))?"
)
_WEEKDAY_INDEX = {**{c: i for i, c in enumerate("一二三四五六日")}, "天": 6, "末": 5}
_WEEKDAY_INDEX.update({str(i + 1): i for i in range(7)})
# 宣传周三天, 活动周一是…: 周 belongs to the word before it.
_NOT_WEEKDAY_BEFORE = ("传", "动", "每", "几", "半", "数", "两", "一", "三", "期")
# "周一周二": a weekday's numeral before 周 is no count of weeks.
_WEEKDAY_END = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天]$")
# 9.30 after 上午 is a time; 1-2家, 3.5万 are counts.
_TIME_OF_DAY = ("上午", "下午", "晚上", "早上", "中午")
# What a numeric date's month and day are written apart with (_NUMERIC's sep).
_NUMERIC_SEPARATORS = "-./·"
_COUNT_AFTER = re.compile(r"\s*(?:[万千百亿%倍元个份人家件篇条次场名位户册本张套岁]|小时|分钟|公里|米)")
MAX_RANGE_DAYS = 7


class DateMention(NamedTuple):  # not a frozen dataclass: made for every date read, ~3x cheaper
    """A written date (or range/list of days), [start, end) in the text, resolved."""

    start: int
    end: int
    days: tuple[dt.date, ...]
    weekday_name: bool  # written as a weekday (周三, 上周六)
    # The days are one run written as a range (4月20日至22日, 周一到周三, 21日起连续3天): one
    # activity over them all; a list of days (22、23号) is several days, each its own.
    span: bool = False


def _num(token: str | None) -> int | None:
    return None if token is None else to_int(token)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# A month and day with no year is a reported activity: the latest such date not further ahead
# than this (written in November, 4月22日 is last April, not next April; written on 4月19日, it is
# three days ahead and gets the future-date note).
YEARLESS_AHEAD = dt.timedelta(days=31)


# The nearest dates are pure functions of a few small numbers and the message day, asked for the
# same days again and again (4月21日, 22日…): kept, a few hundred at most.
@lru_cache(maxsize=512)
def _nearest_year(month: int, day: int, today: dt.date) -> dt.date | None:
    options = [d for y in (today.year - 1, today.year, today.year + 1) if (d := _safe_date(y, month, day))]
    return max((d for d in options if d <= today + YEARLESS_AHEAD), default=None)


@lru_cache(maxsize=512)
def _nearest_month(day: int, today: dt.date) -> dt.date | None:
    options = []
    for shift in (-1, 0, 1):
        month_index = today.year * 12 + today.month - 1 + shift
        if (d := _safe_date(month_index // 12, month_index % 12 + 1, day)) is not None:
            options.append(d)
    return min(options, key=lambda d: abs((d - today).days), default=None)


def day_span(first: dt.date, last: dt.date | None) -> tuple[dt.date, ...]:
    if last is None or last <= first:
        return (first,)
    length = (last - first).days + 1
    if length > MAX_RANGE_DAYS:
        return (first,)
    return tuple(first + dt.timedelta(days=i) for i in range(length))


def month_day(text: str, today: dt.date) -> list[DateMention]:
    if "月" not in text:
        return []  # every month-day writes 月; without it the numerals are not tried one by one
    found = []
    for match in _MONTH_DAY.finditer(text):
        month, day = _num(match.group("m")), _num(match.group("d"))
        if month is None or day is None:
            continue
        year = _num(match.group("y"))
        first = _safe_date(year, month, day) if year else _nearest_year(month, day, today)
        if first is None:
            continue
        days = _range_days(match, first)
        found.append(DateMention(match.start(), match.end(), days, False, len(days) > 1))
    return found


def _range_days(match: re.Match[str], first: dt.date) -> tuple[dt.date, ...]:
    day2 = _num(match.group("d2"))
    if day2 is None:
        return (first,)
    month2 = _num(match.group("m2")) or (first.month if day2 >= first.day else first.month % 12 + 1)
    year2 = first.year + (month2 < first.month)
    return day_span(first, _safe_date(year2, month2, day2))


def numeric(text: str, today: dt.date) -> list[DateMention]:
    if not any(separator in text for separator in _NUMERIC_SEPARATORS):
        return []
    found = []
    for match in _NUMERIC.finditer(text):
        if match.group("sep0") and match.group("sep0") != match.group("sep"):
            continue
        if _COUNT_AFTER.match(text, match.end()) or text[: match.start()].rstrip().endswith(_TIME_OF_DAY):
            continue
        month, day = int(match.group("m")), int(match.group("d"))
        year = match.group("y")
        first = _safe_date(int(year), month, day) if year else _nearest_year(month, day, today)
        if first is None:
            continue
        days = _range_days(match, first)
        found.append(DateMention(match.start(), match.end(), days, False, len(days) > 1))
    return found


def day_only(text: str, today: dt.date) -> list[DateMention]:
    found = []
    runs = [match.span() for match in _BARE_RUN.finditer(text)]
    if not runs and "日" not in text and "号" not in text:
        return []  # a day kept writes 日/号 or is in a run of days ("20、21、22三天"); the rest are bare numbers
    for match in _DAY_ONLY.finditer(text):
        token = match.group("d")
        # (whether it is listed is asked only of a bare number: most matches are counts or carry 日/号)
        if not (match.group("suffix") or match.group("d2") or (token.isdigit() and _listed(text, match, runs))):
            continue  # a bare number; "20-22日" needs only the last 日, "22、23号" the last 号
        if not token.isdigit() and len(token) < 2:
            continue  # 三日内, 十日: a single Chinese numeral is too often a number of days
        day = to_int(token)
        first = _nearest_month(day, today) if day else None
        if first is None:
            continue
        day2 = _num(match.group("d2"))
        last = None
        if day2:
            last = _safe_date(first.year, first.month, day2) if day2 > first.day else None
        days = day_span(first, last)
        found.append(DateMention(match.start(), match.end(), days, False, len(days) > 1))
    return found


def _listed(text: str, match: re.Match[str], runs: list[tuple[int, int]]) -> bool:
    """Whether a bare number is a day listed before one with 日/号, or in a run of days."""
    return _LISTED_BEFORE_DAY.match(text, match.end()) is not None or any(
        start <= match.start() < end for start, end in runs
    )


def relative(text: str, today: dt.date) -> list[DateMention]:
    found = []
    for match in _RECENT_DAYS.finditer(text):
        days = day_span(today - dt.timedelta(days=(to_int(match.group("n")) or 1) - 1), today)
        found.append(DateMention(match.start(), match.end(), days, False, len(days) > 1))
    for match in _DAY_PAIR.finditer(text):
        first, last = _PAIR_OFFSET[match.group("a")], _PAIR_OFFSET[match.group("b")]
        if last == first + 1:
            days = (today + dt.timedelta(days=first), today + dt.timedelta(days=last))
            found.append(DateMention(match.start(), match.end(), days, False, True))
    for match in _RELATIVE.finditer(text):
        word = match.group()
        offset = _RELATIVE_OFFSET.get(word, -1 if word.startswith("昨") else 0)
        found.append(DateMention(match.start(), match.end(), (today + dt.timedelta(days=offset),), False))
    return found


# "整个宣传周", "宣传周这七天": the campaign week, up to the message day. "宣传周期间" alone only
# frames a report ("宣传周期间，我局…4月25日在…"): it is the week only for a fixture said to run
# daily ("宣传周期间在县城…设固定宣传点 每天上午都有人").
_WHOLE_WEEK = re.compile(
    r"整个(?:知识产权)?宣传周|(?:知识产权)?宣传周(?:这)?(?:七天|一周|全程|每天|天天)"
    # "4月20日至26日宣传周期间": the dates written say it
    r"|(?<![日号\d])(?:知识产权)?宣传周期间(?=[^。；;！!？?]{0,40}(?:每天|天天|七天|每日))"
)


def campaign_week(week: tuple[dt.date, dt.date] | None) -> Callable[[str, dt.date], list[DateMention]]:
    def _week(text: str, today: dt.date) -> list[DateMention]:
        if week is None or today < week[0] or "宣传周" not in text:
            return []  # (every way of naming the week says 宣传周)
        days = day_span(week[0], min(week[1], today))
        return [DateMention(m.start(), m.end(), days, False, len(days) > 1) for m in _WHOLE_WEEK.finditer(text)]

    return _week


def ip_day(text: str, today: dt.date) -> list[DateMention]:
    found = []
    for match in _IP_DAY.finditer(text) if "知识产权日" in text else ():
        day = _nearest_year(*IP_DAY, today)
        if day is not None:
            found.append(DateMention(match.start(), match.end(), (day,), False))
    return found


def weekday(text: str, today: dt.date) -> list[DateMention]:
    if "周" not in text and "星期" not in text and "礼拜" not in text:
        return []
    found = []
    monday = today - dt.timedelta(days=today.weekday())
    for match in _WEEKDAY.finditer(text):
        relation = match.group("rel")
        after_weekday = _WEEKDAY_END.search(text, max(0, match.start() - 3), match.start()) is not None
        if (
            relation is None
            and match.group("w") == "周"
            and text.endswith(_NOT_WEEKDAY_BEFORE, 0, match.start())
            and not after_weekday
        ):
            continue
        first = _weekday_date(relation, _WEEKDAY_INDEX[match.group("d")], today, monday)
        last = None
        if match.group("d2"):
            last = first + dt.timedelta(days=_WEEKDAY_INDEX[match.group("d2")] - first.weekday())
            if relation is None:  # "周一至周三" written bare: the most recent such stretch
                while last > today:
                    first, last = first - dt.timedelta(days=7), last - dt.timedelta(days=7)
        days = day_span(first, last)
        found.append(DateMention(match.start(), match.end(), days, True, len(days) > 1))
    return found


def _weekday_date(relation: str | None, weekday: int, today: dt.date, monday: dt.date) -> dt.date:
    if relation is None:
        return today - dt.timedelta(days=(today.weekday() - weekday) % 7)
    weeks = {"上上": -2, "上": -1, "本": 0, "这": 0, "下": 1}[relation]
    return monday + dt.timedelta(days=7 * weeks + weekday)
