"""After the finders: the days a date written before makes of the mentions around it.

次日/翌日/当日 counted from the date before them, a run stretched from its first day (4月21日起连续3天,
周末两天), a run opened with 起 closed on a later day (4月20日起…截至4月24日), and listed days folded
into the first mention of the list (4月20日、22日, 周二、周三, a date restated in brackets, "次日继续…").
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, bisect_right

from handlers.parsing.date_finders import DateMention, day_span
from handlers.parsing.numerals import to_int

# "4月21日…；次日到…": the day after (or the same day as) the date written before it.
_FOLLOWING = re.compile(r"次日|翌日|第二天|隔天|当日|同日")
_FOLLOWING_OFFSET = {"次日": 1, "翌日": 1, "第二天": 1, "隔天": 1, "当日": 0, "同日": 0}
# "4月21日起连续3天", "20日起一连三天": a run of days from the date.
_RUN_AFTER = re.compile(
    r"\s*(?:起|开始)[，,]?\s*(?:我局|我们)?\s*(?:连续|一连|接连|连着)\s*(?P<n>\d|[两二三四五六七])\s*天"
)
# "自4月20日起，…展期至4月26日", "4月20日起…。截至4月26日，…", "4月20日以来…直至4月24日": a run
# closed by a later day.
_OPEN_FROM = re.compile(r"\s*(?:起(?!草|诉)|以来)")
_CLOSED_ON = re.compile(r"(?:至|到|截至|截止|截止到|直至)\s*$")
# "周末两天": Saturday and Sunday.
_WEEKEND_BOTH = re.compile(r"\s*(?:两天|2天)")
# "…；次日（周六）继续开放": the activity above goes on that day.
_GOES_ON = re.compile(r"\s*(?:[（(][^）)]{1,8}[）)])?\s*(?:继续|仍然|照常|持续)")


def with_following_days(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """Add 次日/当日… after a written date, and stretch a date into the run of days it starts."""
    # ``mentions`` are in order and do not overlap, so their ends are in order too: the written
    # mention just before a position, and whether one overlaps a span, are binary searches.
    starts, ends = [m.start for m in mentions], [m.end for m in mentions]
    added: list[DateMention] = []
    for match in _FOLLOWING.finditer(text):
        overlapping = bisect_left(starts, match.end()) - 1
        if overlapping >= 0 and ends[overlapping] > match.start():
            continue
        # 次日 counts from the 次日/当日 before it if any, else from the written date before it.
        written_before = bisect_right(ends, match.start())
        before = added[-1] if added else mentions[written_before - 1] if written_before else None
        if before is not None:
            day = max(before.days) + dt.timedelta(days=_FOLLOWING_OFFSET[match.group()])
            added.append(DateMention(match.start(), match.end(), (day,), False))
    mentions.extend(added)
    mentions.sort(key=lambda m: m.start)
    stretched: list[DateMention] = []
    for mention in mentions:
        run = _RUN_AFTER.match(text, mention.end)
        if run is not None and len(mention.days) == 1:
            last = mention.days[0] + dt.timedelta(days=(to_int(run.group("n")) or 1) - 1)
            days = day_span(mention.days[0], last)
            mention = DateMention(mention.start, run.end(), days, mention.weekday_name, len(days) > 1)
        elif (
            mention.weekday_name
            and text[mention.start : mention.end].endswith("周末")
            and _WEEKEND_BOTH.match(text, mention.end)
        ):
            day = mention.days[0]
            mention = DateMention(mention.start, mention.end, (day, day + dt.timedelta(days=1)), True)
        stretched.append(mention)
    return stretched


def with_open_ends(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """Close a run opened with 起 on the day written after it with 至/截至: "自4月20日起，…设置展板，
    展期至4月26日" and "4月20日起…开设专题。截至4月26日，共发布稿件7篇" are one run over those days."""
    closed: list[DateMention] = []
    skip = False
    for index, mention in enumerate(mentions):
        following = mentions[index + 1] if index + 1 < len(mentions) else None
        if skip:
            skip = False
            continue
        if (
            following is not None
            and len(mention.days) == 1
            and len(following.days) == 1
            and _OPEN_FROM.match(text, mention.end)
            and _CLOSED_ON.search(text, mention.end, following.start)
            and text.count("。", mention.end, following.start) <= 1
            and "\n" not in text[mention.end : following.start]
        ):
            days = day_span(mention.days[0], following.days[0])
            if len(days) > 1:
                closed.append(DateMention(mention.start, mention.end, days, mention.weekday_name, True))
                skip = True
                continue
        closed.append(mention)
    return closed


def _goes_on(text: str, mention: DateMention) -> bool:
    return text.startswith(tuple(_FOLLOWING_OFFSET), mention.start) and _GOES_ON.match(text, mention.end) is not None


_LIST_JOIN = re.compile(r"\s*[、和及与]\s*")
# "23 24两天": days apart by a space, then counted, are a list too.
_SPACE_JOIN = re.compile(r"[ \t\u3000]*")
_DAYS_COUNTED = re.compile(r"\s*[两二三四五六七]天")
_RESTATED = re.compile(r"\s*(?:两天|三天|2天|3天)?\s*[（(]\s*")


def with_listed_days(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """Fold listed days ("4月20日、22日", "周二、周三") into the first mention of the list."""
    merged: list[DateMention] = []
    last_end = -1
    for mention in mentions:
        previous = merged[-1] if merged else None
        restated = previous is not None and _RESTATED.fullmatch(text, last_end, mention.start) is not None
        last_end = mention.end
        # "周六周日", "25号26号": two days written side by side are a list too
        side_by_side = previous is not None and (
            (previous.weekday_name and mention.weekday_name) or text[previous.end - 1] in "日号"
        )
        if previous and (
            _LIST_JOIN.fullmatch(text, previous.end, mention.start)
            or (side_by_side and previous.end == mention.start)
            or (_SPACE_JOIN.fullmatch(text, previous.end, mention.start) and _DAYS_COUNTED.match(text, mention.end))
        ):
            days = tuple(sorted({*previous.days, *mention.days}))
            merged[-1] = DateMention(previous.start, mention.end, days, previous.weekday_name)
        elif previous and restated:
            # "4月25日（周六）" names the weekday of the date; "周末两天（25、26日）" gives its days.
            if previous.weekday_name and not mention.weekday_name:
                merged[-1] = DateMention(previous.start, mention.end, mention.days, False)
        elif previous and _goes_on(text, mention):
            # "4月24日…举办成果展；次日（周六）继续开放": the same activity on one more day.
            days = tuple(sorted({*previous.days, *mention.days}))
            merged[-1] = DateMention(previous.start, previous.end, days, previous.weekday_name)
        else:
            merged.append(mention)
    return merged
