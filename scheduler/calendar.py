"""Working days and the summary deadline of a campaign, on China's official calendar.

Working days come from chinesecalendar, so public holidays and 调休 make-up days (a Saturday that is
a working day) are counted as the notice means them: "2 个工作日后" is the end of the 2nd working day
after the week. The library only knows the years it ships data for; for any other year the config
must give ``campaign.summary_deadline`` explicitly, and the calendar then treats Monday to Friday
as working days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from scheduler.campaign import CampaignConfig
from scheduler.clock import TZ

ONE_DAY = timedelta(days=1)


class CalendarError(Exception):
    """The official calendar cannot answer for a date the campaign needs."""


class CampaignCalendar:
    def __init__(self, campaign: CampaignConfig) -> None:
        self._campaign = campaign
        explicit = campaign.summary_deadline
        if explicit is not None and explicit < campaign.week_end:
            raise CalendarError(f"campaign.summary_deadline {explicit} is before campaign.week_end {campaign.week_end}")
        # Resolve everything the campaign needs now, so a year without data fails at start-up
        # rather than on the evening the first nudge is due.
        self._deadline = self._resolve_deadline()
        self._week_workdays = tuple(day for day in self.week_days() if self.is_workday(day))

    def is_workday(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if self._campaign.summary_deadline is None:
                raise CalendarError(
                    f"chinesecalendar has no data for {day.year}; set campaign.summary_deadline in config"
                ) from None
            # The operator gave the deadline by hand: a year without data, plain weekdays.
            return day.weekday() < 5

    def nth_workday_after(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (``day`` itself does not count; n = 0 gives ``day``)."""
        return self._walk(day, n, ONE_DAY)

    def nth_workday_before(self, day: date, n: int) -> date:
        """The n-th working day before ``day`` (``day`` itself does not count; n = 0 gives ``day``)."""
        return self._walk(day, n, -ONE_DAY)

    def _walk(self, day: date, n: int, step: timedelta) -> date:
        # Counted one day at a time: chinese_calendar.find_workday counts ``day`` itself when it is
        # a working day, which is one short of "N working days after".
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        counted = 0
        while counted < n:
            day += step
            if self.is_workday(day):
                counted += 1
        return day

    def summary_deadline(self) -> datetime:
        """When unit summaries are due: end of the Nth working day after the week, at summary_due_time."""
        return self._deadline

    def _resolve_deadline(self) -> datetime:
        campaign = self._campaign
        due_day = campaign.summary_deadline or self.nth_workday_after(campaign.week_end, campaign.summary_due_workdays)
        return datetime.combine(due_day, campaign.summary_due_time, tzinfo=TZ)

    def week_days(self) -> tuple[date, ...]:
        start, end = self._campaign.week_start, self._campaign.week_end
        return tuple(start + offset * ONE_DAY for offset in range((end - start).days + 1))

    def week_workdays(self) -> tuple[date, ...]:
        return self._week_workdays

    def is_in_week(self, day: date) -> bool:
        return self._campaign.week_start <= day <= self._campaign.week_end
