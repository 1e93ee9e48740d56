from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.config import Settings
from scheduler.calendar import CalendarError, CampaignCalendar
from scheduler.campaign import CampaignConfig
from scheduler.clock import TZ


def campaign_for(settings: Settings, start: date, end: date, **changes: object) -> CampaignConfig:
    return CampaignConfig.model_validate(
        {**settings.campaign.model_dump(), "week_start": start, "week_end": end, **changes}
    )


def test_2026_deadline_is_april_28_at_1730_shanghai(settings: Settings) -> None:
    deadline = CampaignCalendar(settings.campaign).summary_deadline()
    assert deadline == datetime(2026, 4, 28, 17, 30, tzinfo=TZ)
    assert deadline.utcoffset() == timedelta(hours=8)


def test_2026_week_days_and_membership(settings: Settings) -> None:
    calendar = CampaignCalendar(settings.campaign)
    assert calendar.week_days() == tuple(date(2026, 4, day) for day in range(20, 27))
    assert calendar.week_workdays() == tuple(date(2026, 4, day) for day in range(20, 25))
    assert calendar.is_in_week(date(2026, 4, 20))
    assert calendar.is_in_week(date(2026, 4, 26))
    assert not calendar.is_in_week(date(2026, 4, 19))
    assert not calendar.is_in_week(date(2026, 4, 27))


def test_official_calendar_includes_make_up_days(settings: Settings) -> None:
    calendar = CampaignCalendar(settings.campaign)
    assert calendar.is_workday(date(2026, 5, 9))  # Saturday, 调休 for Labour Day
    assert calendar.is_workday(date(2026, 10, 10))  # Saturday, 调休 for National Day
    assert not calendar.is_workday(date(2026, 5, 4))  # Monday, Labour Day holiday
    assert not calendar.is_workday(date(2026, 4, 25))  # plain Saturday
    assert calendar.is_workday(date(2026, 4, 24))


def test_nth_workday_counts_days_after_not_the_day_itself(settings: Settings) -> None:
    calendar = CampaignCalendar(settings.campaign)
    # Friday is a working day; find_workday(1, friday) style counting would give Monday too early.
    assert calendar.nth_workday_after(date(2026, 4, 24), 1) == date(2026, 4, 27)
    assert calendar.nth_workday_after(date(2026, 4, 24), 2) == date(2026, 4, 28)
    assert calendar.nth_workday_after(date(2026, 4, 26), 2) == date(2026, 4, 28)
    assert calendar.nth_workday_after(date(2026, 4, 26), 0) == date(2026, 4, 26)
    assert calendar.nth_workday_before(date(2026, 4, 17), 3) == date(2026, 4, 14)
    # Back across Qingming (04-04..06): Tuesday 04-07, then Friday 04-03.
    assert calendar.nth_workday_before(date(2026, 4, 8), 2) == date(2026, 4, 3)
    with pytest.raises(ValueError):
        calendar.nth_workday_after(date(2026, 4, 24), -1)


def test_window_containing_a_make_up_saturday(settings: Settings) -> None:
    calendar = CampaignCalendar(campaign_for(settings, date(2026, 5, 3), date(2026, 5, 9)))
    assert calendar.is_in_week(date(2026, 5, 9))
    # 05-03..05 are Labour Day holidays; Saturday 05-09 is worked.
    assert calendar.week_workdays() == (date(2026, 5, 6), date(2026, 5, 7), date(2026, 5, 8), date(2026, 5, 9))
    assert calendar.summary_deadline() == datetime(2026, 5, 12, 17, 30, tzinfo=TZ)


def test_make_up_saturday_right_after_the_week_counts_as_a_working_day(settings: Settings) -> None:
    calendar = CampaignCalendar(campaign_for(settings, date(2026, 4, 30), date(2026, 5, 8)))
    # 05-09 (make-up Saturday) is working day 1, Sunday 05-10 is not, Monday 05-11 is day 2.
    assert calendar.summary_deadline() == datetime(2026, 5, 11, 17, 30, tzinfo=TZ)


def test_deadline_jumps_past_national_day_holiday(settings: Settings) -> None:
    campaign = campaign_for(settings, date(2026, 9, 24), date(2026, 9, 30))
    # 10-01..07 off: working days after Wednesday 09-30 are 10-08, 10-09, then Saturday 10-10 (调休).
    assert CampaignCalendar(campaign).summary_deadline() == datetime(2026, 10, 9, 17, 30, tzinfo=TZ)
    three_days = campaign.model_copy(update={"summary_due_workdays": 3})
    assert CampaignCalendar(three_days).summary_deadline() == datetime(2026, 10, 10, 17, 30, tzinfo=TZ)


def test_unknown_year_fails_at_construction(settings: Settings) -> None:
    with pytest.raises(CalendarError, match=r"no data for 2031; set campaign\.summary_deadline"):
        CampaignCalendar(campaign_for(settings, date(2031, 4, 21), date(2031, 4, 27)))


def test_deadline_spilling_into_an_unknown_year_fails(settings: Settings) -> None:
    with pytest.raises(CalendarError, match="2027"):
        CampaignCalendar(campaign_for(settings, date(2026, 12, 24), date(2026, 12, 30)))


def test_unknown_year_with_explicit_deadline_uses_weekdays(settings: Settings) -> None:
    campaign = campaign_for(settings, date(2031, 4, 21), date(2031, 4, 27), summary_deadline=date(2031, 4, 29))
    calendar = CampaignCalendar(campaign)
    assert calendar.summary_deadline() == datetime(2031, 4, 29, 17, 30, tzinfo=TZ)
    assert calendar.week_workdays() == tuple(date(2031, 4, day) for day in range(21, 26))


def test_explicit_deadline_before_week_end_is_rejected(settings: Settings) -> None:
    campaign = campaign_for(settings, date(2026, 4, 20), date(2026, 4, 26), summary_deadline=date(2026, 4, 24))
    with pytest.raises(CalendarError, match="summary_deadline"):
        CampaignCalendar(campaign)
