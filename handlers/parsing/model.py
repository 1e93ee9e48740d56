"""What the parser returns: a Reading of one message, with its activities and attendees."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from storage.vocabulary import ActivityType, CountKind

# The vocabulary's keys; see handlers.parsing.keywords for what each type covers and how a
# type is chosen.
ACTIVITY_TYPES: tuple[str, ...] = tuple(ActivityType)
COUNT_FIELDS: tuple[str, ...] = tuple(CountKind)


class Intent(StrEnum):
    """What a message is about."""

    REPORT = "report"
    RSVP = "rsvp"
    SUMMARY = "summary"
    OTHER = "other"


INTENTS: tuple[str, ...] = tuple(Intent)


@dataclass(frozen=True)
class ParsedActivity:
    date: datetime.date  # the first day
    end_date: datetime.date  # the last day: == date for a one-day activity, later for a range (4月22日至24日)
    date_stated: bool
    type: str
    type_stated: bool
    location: str | None
    materials: int | None
    consultations: int | None
    participants: int | None
    enterprises: int | None
    articles: int | None
    approximate: frozenset[str]  # count fields stated with 约/余/多/来/近/左右
    source_text: str


@dataclass(frozen=True)
class Attendee:
    name: str
    phone: str | None


@dataclass(frozen=True)
class Reading:
    intent: str  # one of INTENTS
    unit: str | None
    unit_source: str | None  # "text" | "binding" | None
    activities: tuple[ParsedActivity, ...]
    attendees: tuple[Attendee, ...]
    notes: tuple[str, ...]  # Chinese, for the reply
