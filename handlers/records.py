"""Finding a sender's records: numbered lists (我的), the last one, the open one.

A record's number (序号) is its place among everything its unit ever reported, in the order it was
reported: the unit's first record is 1, the next 2, withdrawn ones included. A number therefore
never changes under the liaison — after ``撤回 1`` the third record is still 3, and ``恢复 1``
brings back the same 1. Records are never deleted (the desk's merge and 撤回 withdraw them), so
the ranking by id is stable without a stored counter.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from handlers.router import Context
from storage.models import Activity, RecordStatus

# No unit reports a million activities; a bigger 序号 is a typo, never an SQL OFFSET overflow.
MAX_NUMBER = 1_000_000


def numbered_records(ctx: Context, status: str = RecordStatus.ACTIVE) -> list[tuple[int, Activity]]:
    """The unit's records with ``status``, each with its stable number, in number order."""
    if ctx.unit is None:
        return []
    every = ctx.session.exec(select(Activity).where(Activity.unit_id == ctx.unit.id).order_by(col(Activity.id))).all()
    return [(n, a) for n, a in enumerate(every, 1) if a.status == status]


def latest_numbered(ctx: Context, count: int, status: str = RecordStatus.ACTIVE) -> list[tuple[int, Activity]]:
    """The last ``count`` of ``numbered_records``: numbered from the ids and statuses alone, so
    only the records returned are loaded (a photo sent before its report asks with these, and a
    unit's records pile up over the week)."""
    if ctx.unit is None:
        return []
    every = ctx.session.exec(
        select(Activity.id, Activity.status).where(Activity.unit_id == ctx.unit.id).order_by(col(Activity.id))
    ).all()
    wanted = [(n, activity_id) for n, (activity_id, a_status) in enumerate(every, 1) if a_status == status][-count:]
    if not wanted:
        return []
    ids = [activity_id for _, activity_id in wanted]
    loaded = {a.id: a for a in ctx.session.exec(select(Activity).where(col(Activity.id).in_(ids))).all()}
    return [(n, loaded[activity_id]) for n, activity_id in wanted]


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
        .where(Activity.liaison_id == ctx.liaison.id, Activity.status == RecordStatus.ACTIVE)
        .order_by(col(Activity.id).desc())
        .limit(1)  # not only .first(): the ORM would load every record of the sender to return one
    ).first()


def open_record(ctx: Context) -> Activity | None:
    """The sender's last record if it was reported within the photo window: photos, a location
    or an answer sent now still belong to it."""
    record = last_record(ctx)
    window = timedelta(minutes=ctx.deps.photo_window_minutes)
    if record is not None and record.created_at >= ctx.now - window:
        return record
    return None
