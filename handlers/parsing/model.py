"""What the parser returns: a Reading of one message, with its activities and attendees."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# See handlers.parsing.keywords for what each type covers and how a type is chosen.
ACTIVITY_TYPES: tuple[str, ...] = ("ceremony", "publicity", "visit", "exhibition", "training", "media", "other")
COUNT_FIELDS: tuple[str, ...] = ("materials", "consultations", "participants", "enterprises", "articles")
INTENTS: tuple[str, ...] = ("report", "rsvp", "summary", "other")


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
