"""Who a push goes to, decided when it fires: a named audience becomes (channel, user_id) pairs.

Unit audiences reach the liaisons bound to each unit; the contact person (role admin, plus the
configured WeCom userids) is never part of a unit audience, so a nudge about the chair's own
reporting does not land on the person who reads the digests. Units an audience names but nobody
can reach (no liaison bound yet) come back as ``unreached`` for the digest to list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from scheduler.campaign import ContactConfig, UnitConfig, UnitKind
from scheduler.plan import Audience
from storage.campaign_status import (
    activities_by_unit,
    attendees_by_unit,
    declined_unit_ids,
    summaries_by_unit,
    units_by_name,
)
from storage.models import ChannelKind, Liaison, Role, Unit


@dataclass(frozen=True, order=True)
class Recipient:
    channel: str
    user_id: str
    unit: str = ""  # the unit the message is about ("" for the contact person)


@dataclass(frozen=True)
class Resolved:
    recipients: tuple[Recipient, ...]
    units: tuple[str, ...]  # units the audience named, in config order
    unreached: tuple[str, ...]  # of those, units without a bound liaison


def reporting_units(units: Iterable[UnitConfig]) -> tuple[UnitConfig, ...]:
    """Units that report activities and owe a summary: everyone but the chair, who collects."""
    return tuple(unit for unit in units if unit.kind != UnitKind.CHAIR)


def resolve(
    session: Session, audience: Audience, day: date, units: tuple[UnitConfig, ...], contact: ContactConfig
) -> Resolved:
    """Evaluate ``audience`` now; ``day`` is the campaign day the push belongs to."""
    if audience == Audience.CONTACT:
        return Resolved(contact_recipients(session, contact), (), ())
    names = _unit_names(session, audience, day, units)
    return unit_recipients(session, names)


def _unit_names(session: Session, audience: Audience, day: date, units: tuple[UnitConfig, ...]) -> list[str]:
    by_name = units_by_name(session, (unit.name for unit in units))
    ids = {name: unit.id for name, unit in by_name.items()}
    members = [unit.name for unit in units if unit.kind == UnitKind.MEMBER]
    match audience:
        case Audience.MEMBER_UNITS:
            return members
        case Audience.UNCONFIRMED_UNITS:
            answered = attendees_by_unit(session).keys() | declined_unit_ids(session)
            return [name for name in members if ids.get(name) not in answered]
        case Audience.CONFIRMED_LIAISONS:
            confirmed = attendees_by_unit(session)
            return [unit.name for unit in units if ids.get(unit.name) in confirmed]
        case Audience.ALL_LIAISONS:
            return [unit.name for unit in units]
        case Audience.SILENT_UNITS_TODAY:
            reported = activities_by_unit(session, day, day)
            return [unit.name for unit in reporting_units(units) if ids.get(unit.name) not in reported]
        case Audience.UNITS_WITHOUT_SUMMARY:
            submitted = summaries_by_unit(session)
            return [unit.name for unit in reporting_units(units) if ids.get(unit.name) not in submitted]
    raise ValueError(f"no unit list for audience {audience}")


def unit_recipients(session: Session, names: list[str]) -> Resolved:
    """The liaisons (role liaison) of the named units."""
    rows = session.exec(
        select(Liaison, Unit)
        .join(Unit)
        .where(col(Unit.name).in_(names), Liaison.role == Role.LIAISON)
        .order_by(col(Liaison.id))
    ).all()
    recipients = tuple(Recipient(liaison.channel, liaison.user_id, unit.name) for liaison, unit in rows)
    reached = {recipient.unit for recipient in recipients}
    return Resolved(recipients, tuple(names), tuple(name for name in names if name not in reached))


def contact_recipients(session: Session, contact: ContactConfig) -> tuple[Recipient, ...]:
    """Everyone bound as admin, and the contact's configured WeCom userids even before they first write."""
    admins = session.exec(select(Liaison).where(Liaison.role == Role.ADMIN).order_by(col(Liaison.id))).all()
    found = {Recipient(admin.channel, admin.user_id) for admin in admins}
    found |= {Recipient(ChannelKind.WECOM, user_id) for user_id in contact.wecom_userids}
    return tuple(sorted(found))
