"""Finding a sender's records: numbered lists (我的), the last one, the open one.

A record's number (序号) is its place among everything its unit ever reported, in the order it was
reported: the unit's first record is 1, the next 2, withdrawn ones included. A number therefore
never changes under the liaison — after ``撤回 1`` the third record is still 3, and ``恢复 1``
brings back the same 1. Records are never deleted (the desk's merge and 撤回 withdraw them), so
the ranking by id is stable without a stored counter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from handlers.router import Context
from storage.direct import DirectStatement
from storage.engine import table_of
from storage.models import Activity, RecordStatus

# No unit reports a million activities; a bigger 序号 is a typo, never an SQL OFFSET overflow.
MAX_NUMBER = 1_000_000


def numbered_records(ctx: Context, status: str = RecordStatus.ACTIVE) -> list[tuple[int, Activity]]:
    """The unit's records with ``status``, each with its stable number, in number order."""
    if ctx.unit is None:
        return []
    every = ctx.session.exec(select(Activity).where(Activity.unit_id == ctx.unit.id).order_by(col(Activity.id))).all()
    return [(n, a) for n, a in enumerate(every, 1) if a.status == status]


# What a photo's reply reads (photos come in bursts: nine at a time from a phone's album), straight
# on the driver's cursor (storage.direct): the ORM's queries were half of a photo's handling.
_ACTIVITIES = table_of(Activity)
_NUMBERING = DirectStatement(
    sa.select(_ACTIVITIES.c.id, _ACTIVITIES.c.status)
    .where(_ACTIVITIES.c.unit_id == sa.bindparam("unit"))
    .order_by(_ACTIVITIES.c.id)
)
_RECORD_BY_ID = DirectStatement(sa.select(_ACTIVITIES).where(_ACTIVITIES.c.id == sa.bindparam("id")))


def _active_of(liaison: Any) -> sa.ColumnElement[bool]:
    """A liaison's active records: one condition for last_record's ORM query and the photo reply's
    straight read (which passes a bind parameter)."""
    return sa.and_(_ACTIVITIES.c.liaison_id == liaison, _ACTIVITIES.c.status == RecordStatus.ACTIVE)


_LAST_ACTIVE = DirectStatement(
    sa.select(_ACTIVITIES).where(_active_of(sa.bindparam("liaison"))).order_by(_ACTIVITIES.c.id.desc()).limit(1)
)


def _snapshot(row: Sequence[Any]) -> Activity:
    """A record read straight, as a detached snapshot: never added to the session (to change a
    record, load it)."""
    return Activity.model_construct(**dict(zip(_ACTIVITIES.columns.keys(), row, strict=True)))


def latest_numbered(ctx: Context, count: int, status: str = RecordStatus.ACTIVE) -> list[tuple[int, Activity]]:
    """The last ``count`` of ``numbered_records``, as detached snapshots for a reply: numbered from
    the ids and statuses alone, so only the records returned are read (a photo sent before its
    report asks with these, and a unit's records pile up over the week)."""
    if ctx.unit is None:
        return []
    every = _NUMBERING.all(ctx.session, {"unit": ctx.unit.id})
    wanted = [(n, activity_id) for n, (activity_id, a_status) in enumerate(every, 1) if a_status == status][-count:]
    return [(n, _snapshot(_RECORD_BY_ID.one(ctx.session, {"id": activity_id}))) for n, activity_id in wanted]


def unit_records(ctx: Context) -> list[Activity]:
    """The unit's active records, in number order."""
    return [a for _, a in numbered_records(ctx)]


def record_number(ctx: Context, number: int, status: str = RecordStatus.ACTIVE) -> Activity | None:
    """The unit's record numbered ``number`` if it has ``status``."""
    if ctx.unit is None or not 1 <= number <= MAX_NUMBER:
        return None
    found = ctx.session.exec(
        select(Activity).where(Activity.unit_id == ctx.unit.id).order_by(col(Activity.id)).offset(number - 1).limit(1)
    ).first()
    return found if found is not None and found.status == status else None


def number_of(ctx: Context, activity: Activity) -> int:
    """The stable number of one of the unit's records."""
    earlier = ctx.session.exec(
        select(func.count())
        .select_from(Activity)
        .where(Activity.unit_id == activity.unit_id, col(Activity.id) <= activity.id)
    ).one()
    return int(earlier)


def last_record(ctx: Context) -> Activity | None:
    """The sender's most recently reported active record."""
    if ctx.liaison is None:
        return None
    return ctx.session.exec(
        select(Activity)
        .where(_active_of(ctx.liaison.id))
        .order_by(col(Activity.id).desc())
        .limit(1)  # not only .first(): the ORM would load every record of the sender to return one
    ).first()


def open_record(ctx: Context) -> Activity | None:
    """The sender's last record if it was reported within the photo window: photos, a location
    or an answer sent now still belong to it."""
    return _if_open(ctx, last_record(ctx))


def open_record_snapshot(ctx: Context) -> Activity | None:
    """``open_record`` as a detached snapshot, read straight: for a reply that only names it."""
    if ctx.sender is None:
        return None
    row = _LAST_ACTIVE.first(ctx.session, {"liaison": ctx.sender.liaison_id})
    return _if_open(ctx, _snapshot(row) if row is not None else None)


def _if_open(ctx: Context, record: Activity | None) -> Activity | None:
    window = timedelta(minutes=ctx.deps.photo_window_minutes)
    if record is not None and record.created_at >= ctx.now - window:
        return record
    return None
