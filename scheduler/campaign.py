"""What a campaign is: dates, ceremony, reporting units, contact person.

This is the campaign-specific part of the configuration (next year's week or another city is a
new config file). It is validated with pydantic when the config is loaded (see bot.config).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

    @field_validator("at")
    @classmethod
    def _local(cls, value: datetime) -> datetime:
        return to_local(value)


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
