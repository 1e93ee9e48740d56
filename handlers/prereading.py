"""A text's reading, taken before the database writer's transaction.

Parsing costs time in proportion to the text, and the writer is one thread for everyone (on
SQLite): the bot reads a text first, on a thread of its own, and hands the reading to the
handlers, which use it when it still fits (same text, time and sender's unit) and parse again
only when it does not (a retry of a message whose handling failed, a binding changed meanwhile).

The sender's unit the reading assumes is a guess from ``SenderUnits`` (what this process's handling
last found), read from the database only for a sender it has not seen: a guess that is wrong (a
binding changed in another process, or on the desk) costs one parse in the writer, never a wrong
reading.

A text longer than ``Deps.max_text_chars`` is stored but not read at all: the sender is asked for
a shorter report; the text stays in the inbound message table, and the desk's unit page lists it
for the contact person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from handlers.binding import automatic_grant, load_liaison
from handlers.deps import Deps
from handlers.inbound import TEXTUAL, Inbound
from handlers.parsing import Reading, parse_report
from handlers.parsing.model import Intent

# What a text too long to read reads as: nothing, so no route takes it for a report or an RSVP.
UNREAD = Reading(Intent.OTHER, None, None, (), (), ())


@dataclass(frozen=True)
class PreReading:
    text: str
    now: datetime
    bound_unit: str | None
    reading: Reading

    def fits(self, text: str, now: datetime, bound_unit: str | None) -> bool:
        return (self.text, self.now, self.bound_unit) == (text, now, bound_unit)


def too_long(deps: Deps, msg: Inbound) -> bool:
    return msg.msg_type in TEXTUAL and len(msg.text) > deps.max_text_chars


def read_text(deps: Deps, text: str, now: datetime, bound_unit: str | None) -> Reading:
    week = (deps.campaign.week_start, deps.campaign.week_end)
    return parse_report(text, now, bound_unit, deps.directory, ceremony_day=deps.ceremony.at.date(), campaign_week=week)


def sender_unit(session: Session, deps: Deps, msg: Inbound) -> str | None:
    """The unit the sender is bound to, or will be on first contact (configured WeCom userids): a
    read only, as ``dispatcher.identify`` finds it."""
    liaison, unit = load_liaison(session, msg.channel, msg.user_id)
    if liaison is None:
        grant = automatic_grant(deps, msg.channel, msg.user_id)
        return grant.unit_name if grant is not None else None
    return unit.name if unit is not None else None


def needs_reading(deps: Deps, msg: Inbound) -> bool:
    return msg.msg_type in TEXTUAL and bool(msg.text) and not too_long(deps, msg)
