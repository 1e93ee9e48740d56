"""Where each unit stands in the campaign: ceremony attendees and check-ins, activity reports by
day, summary submissions, and which planned pushes have fired.

The scheduler's audiences and the contact person's roll call read these; the chat routes write
them. Every row says who did it, when and how, because the contact person will be asked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint, and_, func
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import Activity, RecordStatus, Unit, local_datetime_column
from storage.outbox import insert_new


class CeremonyAttendee(SQLModel, table=True):
    """A person a unit registered for the launch ceremony (参会 王磊 13900001111)."""

    __table_args__ = (UniqueConstraint("unit_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str
    phone: str = ""
    registered_by: str  # actor, e.g. "wecom:wangl"
    registered_at: datetime = local_datetime_column(nullable=False)


class CeremonyDecline(SQLModel, table=True):
    """A unit said it will not attend the ceremony (the 不参加 button): it is not chased again."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", unique=True)
    declined_by: str  # actor
    declined_at: datetime = local_datetime_column(nullable=False)


class CeremonyCheckIn(SQLModel, table=True):
    """Someone arrived at the ceremony. how: text (签到) | location (a location message near the venue)."""

    __table_args__ = (UniqueConstraint("channel", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    channel: str
    user_id: str
    name: str = ""
    how: str
    distance_m: float | None = None
    at: datetime = local_datetime_column(nullable=False)


class SummarySubmission(SQLModel, table=True):
    """A unit's campaign summary is in. how: liaison (said so in chat) | admin (已交 <单位>)."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", unique=True)
    actor: str
    how: str
    at: datetime = local_datetime_column(nullable=False)


class FiredPush(SQLModel, table=True):
    """A planned push whose audience was evaluated and queued; it never fires a second time."""

    key: str = Field(primary_key=True)  # PlannedPush.key
    kind: str
    fired_at: datetime = local_datetime_column(nullable=False)
    recipients: int = 0


def units_by_name(session: Session, names: Iterable[str]) -> dict[str, Unit]:
    wanted = list(names)
    rows = session.exec(select(Unit).where(col(Unit.name).in_(wanted))).all()
    found = {unit.name: unit for unit in rows}
    return {name: found[name] for name in wanted if name in found}


def register_attendees(
    session: Session, unit_id: int, people: Iterable[tuple[str, str]], actor: str, now: datetime
) -> list[CeremonyAttendee]:
    """Add (name, phone) attendees; a name already registered for the unit gets the new phone."""
    existing = {a.name: a for a in session.exec(select(CeremonyAttendee).where(CeremonyAttendee.unit_id == unit_id))}
    touched = []
    for name, phone in people:
        row = existing.get(name) or CeremonyAttendee(unit_id=unit_id, name=name, registered_by=actor, registered_at=now)
        if phone:
            row.phone = phone
        row.registered_by, row.registered_at = actor, now
        session.add(row)
        existing[name] = row
        touched.append(row)
    # Naming attendees takes back an earlier 不参加.
    for decline in session.exec(select(CeremonyDecline).where(CeremonyDecline.unit_id == unit_id)):
        session.delete(decline)
    session.flush()
    return touched


def decline_ceremony(session: Session, unit_id: int, actor: str, now: datetime) -> bool:
    """Record that the unit will not attend; False when it already had said so."""
    values = {"unit_id": unit_id, "declined_by": actor, "declined_at": now}
    return insert_new(session, CeremonyDecline, values, ["unit_id"])


def declined_unit_ids(session: Session) -> set[int]:
    return set(session.exec(select(CeremonyDecline.unit_id)).all())


def attendees_by_unit(session: Session) -> dict[int, list[CeremonyAttendee]]:
    grouped: dict[int, list[CeremonyAttendee]] = defaultdict(list)
    for row in session.exec(select(CeremonyAttendee).order_by(col(CeremonyAttendee.id))):
        grouped[row.unit_id].append(row)
    return dict(grouped)


def check_in(
    session: Session,
    *,
    unit_id: int,
    channel: str,
    user_id: str,
    name: str,
    how: str,
    now: datetime,
    distance_m: float | None = None,
) -> bool:
    """Record a check-in; False when this person had already checked in."""
    values = {
        "unit_id": unit_id,
        "channel": channel,
        "user_id": user_id,
        "name": name,
        "how": how,
        "distance_m": distance_m,
        "at": now,
    }
    return insert_new(session, CeremonyCheckIn, values, ["channel", "user_id"])


def checkins_by_unit(session: Session) -> dict[int, list[CeremonyCheckIn]]:
    grouped: dict[int, list[CeremonyCheckIn]] = defaultdict(list)
    for row in session.exec(select(CeremonyCheckIn).order_by(col(CeremonyCheckIn.at))):
        grouped[row.unit_id].append(row)
    return dict(grouped)


def mark_summary(session: Session, unit_id: int, actor: str, how: str, now: datetime) -> bool:
    """Record that the unit's summary is in; False when it already was."""
    values = {"unit_id": unit_id, "actor": actor, "how": how, "at": now}
    return insert_new(session, SummarySubmission, values, ["unit_id"])


def summaries_by_unit(session: Session) -> dict[int, SummarySubmission]:
    return {row.unit_id: row for row in session.exec(select(SummarySubmission))}


def running_between(first: dt.date, last: dt.date) -> Any:
    """The condition "the activity runs on some day of first..last": a span (date..end_date) that
    overlaps them, so a unit whose exhibition runs 4月22日至24日 has an activity on the 23rd."""
    return and_(
        col(Activity.date) <= last,
        func.coalesce(col(Activity.end_date), col(Activity.date)) >= first,
    )


def activities_by_unit(session: Session, first: dt.date, last: dt.date) -> dict[int, list[Activity]]:
    """Active (not withdrawn) activities running on some day of first..last, by unit id."""
    grouped: dict[int, list[Activity]] = defaultdict(list)
    rows = session.exec(
        select(Activity)
        .where(running_between(first, last), Activity.status == RecordStatus.ACTIVE)
        .order_by(col(Activity.date), col(Activity.id))
    )
    for row in rows:
        grouped[row.unit_id].append(row)
    return dict(grouped)


def claim_push(session: Session, key: str, kind: str, now: datetime) -> bool:
    """Mark a planned push as fired; False when it already had (by this or another process)."""
    return insert_new(session, FiredPush, {"key": key, "kind": kind, "fired_at": now, "recipients": 0}, ["key"])


def fired_keys(session: Session) -> set[str]:
    return set(session.exec(select(FiredPush.key)).all())
