"""Dates in a message, resolved against the day the message was sent (Asia/Shanghai).

Forms read: 今天/今早/今晚/昨天/昨晚/前天/大前天 (and 明天/后天, kept and flagged); 今明两天/昨今两天 (a run);
周三/星期三/礼拜三/周日/周末, 本周一/这周一, 上周六/上上周五, 下周二; 21号/二十三日;
4.21, 4-22, 4/22, 4·26, 4月22日 (full-width digits are normalised first), 2026年4月23日, 2026-04-23,
二〇二六年四月二十三日, 世界知识产权日当天 (26 April); ranges 4月20日至22日, 4.20-4.22, 20-22日, 周一至周三,
4月21日起连续3天, 4月20日起…截至4月24日, 周末两天; lists 4月20日、22日, 22、23号, 周二、周三;
次日/翌日/当日 after a written date; a date restated in brackets (周末两天（25、26日）) and
"次日继续…" (one more day of the same activity).

Resolution rules (never a silent future date):
- a bare weekday name (周三) is the most recent such day not after the message day; 上周X is
  that day of the previous Monday-based week; 本周X/这周X and 下周X are taken as written and
  flagged when they fall after the message day;
- a month-day without a year takes the year that puts it nearest the message day, a bare day
  (21号) the month that does; either is flagged when it falls after the message day; a day
  written as one Chinese numeral (三日, 十日) is not read, it usually counts days;
- time-of-day words alone (上午, 下午) are not dates here: the activity is on the day in
  context, stated (see reader).

The finders are in date_finders, the runs, ranges and lists made after them in date_runs.
"""

from __future__ import annotations

import datetime as dt
import re

from handlers.parsing.date_finders import (
    DateMention,
    campaign_week,
    day_only,
    ip_day,
    month_day,
    numeric,
    relative,
    weekday,
)
from handlers.parsing.date_runs import with_following_days, with_listed_days, with_open_ends
from handlers.parsing.trace import Trace

# "今儿跟大前天一样…": a day compared with, not the day of the activity.
_COMPARED = re.compile(r"\s*(?:一样|似的|那样|相比)")
# "4月26日世界知识产权日宣传活动" names the day being marked, "今天报一下：…" the day of reporting;
# neither is when the activity happened. "4月26日世界知识产权日，…举办…" opens the activity with its day.
_NOT_ACTIVITY_DAY_AFTER = re.compile(
    r"[\s“”\"]*(?:第.{1,3}个)?(?:世界)?知识产权日(?![，,])|\s*(?:补|再|汇|上)?报(?![道社纸刊])"
)


def find_dates(
    text: str, today: dt.date, trace: Trace | None = None, week: tuple[dt.date, dt.date] | None = None
) -> list[DateMention]:
    """All date mentions in ``text``, in order, non-overlapping (the earlier pattern wins);
    ``trace`` records the finder of each; ``week`` is the campaign's first and last day, what
    "整个宣传周" and "宣传周期间" name."""
    found: list[DateMention] = []
    # The characters of the mentions kept so far: whether a mention overlaps one costs its own
    # length, not a look at every mention kept (quadratic in a message full of dates).
    taken = bytearray(len(text))
    week_finder = campaign_week(week)
    for finder in (month_day, numeric, weekday, relative, ip_day, day_only, week_finder):
        for mention in finder(text, today):
            # (the overlap first: a bare day inside a month-day kept is most mentions looked at twice)
            if taken.find(1, mention.start, mention.end) >= 0:
                continue
            if _NOT_ACTIVITY_DAY_AFTER.match(text, mention.end) or _COMPARED.match(text, mention.end):
                continue
            found.append(mention)
            taken[mention.start : mention.end] = b"\x01" * (mention.end - mention.start)
            if trace is not None:
                trace.date_finders[mention.start] = finder.__name__.lstrip("_")
    found.sort(key=lambda m: m.start)
    return with_listed_days(text, with_open_ends(text, with_following_days(text, found)))
