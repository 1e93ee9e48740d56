"""What a campaign is: dates, ceremony, reporting units, contact person.

This is the campaign-specific part of the configuration (next year's week or another city is a
new config file). It is validated with pydantic when the config is loaded (see bot.config).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from scheduler.clock import to_local


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitKind(StrEnum):
    CHAIR = "chair"
    MEMBER = "member"
    COUNTY = "county"


class UnitConfig(Strict):
    name: str = Field(min_length=2)
    kind: UnitKind
    aliases: tuple[str, ...] = ()
    # Place the unit governs (e.g. 凌源市). A place named in a report is where something
    # happened, never a claim about who reports it.
    place: str | None = None
    # WeCom userids that bind to this unit automatically on their first message.
    wecom_userids: tuple[str, ...] = ()


class CeremonyConfig(Strict):
    at: datetime
    place: str
    contact_name: str
    contact_phone: str
    # The venue (WGS-84, as WeChat location messages give it): a location message within
    # checkin_radius_m of it on the ceremony day checks the sender in. Optional.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    checkin_radius_m: int = Field(default=300, ge=10, le=5000)

    @field_validator("at")
    @classmethod
    def _local(cls, value: datetime) -> datetime:
        return to_local(value)

    @model_validator(mode="after")
    def _both_coordinates(self) -> CeremonyConfig:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude of the venue, or neither")
        return self


class ContactConfig(Strict):
    name: str
    phone: str
    email: str
    wecom_userids: tuple[str, ...] = ()


class CampaignConfig(Strict):
    name: str
    city: str
    theme: str
    week_start: date
    week_end: date
    summary_due_workdays: int = Field(default=2, ge=1, le=10)
    summary_due_time: time = time(17, 30)
    # Explicit deadline, for a year chinesecalendar has no data for.
    summary_deadline: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CampaignConfig:
        if self.week_end < self.week_start:
            raise ValueError("week_end is before week_start")
        return self


def _off_the_half_hour(value: time) -> time:
    # Pushes keep off :00 and :30, when meetings start and everyone else's scheduled messages land.
    if value.minute in (0, 30):
        raise ValueError(
            f"{value:%H:%M} is on the hour or half hour; pushes avoid :00 and :30"
            f" (try {value.hour:02d}:{value.minute + 10:02d})"
        )
    return value


PushTime = Annotated[time, AfterValidator(_off_the_half_hour)]


class LeadTime(Strict):
    """A push ``workdays_before`` working days before an event (0: the event's own day)."""

    workdays_before: int = Field(ge=0, le=30)
    at: PushTime


class PushConfig(Strict):
    """When the scheduled pushes go out (see scheduler.plan).

    Lead days count working days on the official calendar (调休 included), so another year's dates
    need no change here. Times are Asia/Shanghai.
    """

    rsvp_request_workdays_before: int = Field(default=3, ge=2, le=30)
    rsvp_request_time: PushTime = time(9, 40)
    rsvp_chase_workdays_before: tuple[int, ...] = (2, 1)
    rsvp_chase_time: PushTime = time(10, 10)
    ceremony_reminders: tuple[LeadTime, ...] = (
        LeadTime(workdays_before=1, at=time(15, 20)),
        LeadTime(workdays_before=0, at=time(7, 50)),
    )
    checkin_open_time: PushTime = time(8, 20)
    week_kickoff_time: PushTime = time(8, 40)
    report_nudge_time: PushTime = time(19, 40)
    # Nudge on weekends and public holidays of the week too (a 调休 make-up day is a working day).
    nudge_on_rest_days: bool = False
    digest_evening_time: PushTime = time(21, 10)
    digest_morning_time: PushTime = time(8, 20)
    summary_reminder_time: PushTime = time(9, 10)
    final_rollup_time: PushTime = time(17, 40)

    @model_validator(mode="after")
    def _one_push_per_day(self) -> PushConfig:
        chases = self.rsvp_chase_workdays_before
        if len(set(chases)) != len(chases):
            raise ValueError("rsvp_chase_workdays_before lists a day twice")
        if not all(1 <= days < self.rsvp_request_workdays_before for days in chases):
            raise ValueError(
                "rsvp_chase_workdays_before: every chase must fall after the request and before the"
                f" ceremony day (1 to {self.rsvp_request_workdays_before - 1})"
            )
        reminder_days = [reminder.workdays_before for reminder in self.ceremony_reminders]
        if len(set(reminder_days)) != len(reminder_days):
            raise ValueError("ceremony_reminders: two reminders on the same day")
        return self
