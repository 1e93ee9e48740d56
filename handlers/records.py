"""Finding a sender's records: numbered lists (我的), the last one, the open one."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from handlers.router import Context
from storage.models import Activity


def unit_records(ctx: Context) -> list[Activity]:
    """The unit's active records in the order 我的 numbers them (by date, then as reported)."""
    if ctx.unit is None:
        return []
    return list(
        ctx.session.exec(
            select(Activity)
            .where(Activity.unit_id == ctx.unit.id, Activity.status == "active")
            .order_by(col(Activity.date), col(Activity.id))
        ).all()
    )


def record_number(ctx: Context, number: int) -> Activity | None:
    records = unit_records(ctx)
    return records[number - 1] if 1 <= number <= len(records) else None


def number_of(ctx: Context, activity: Activity) -> int:
    return next(n for n, a in enumerate(unit_records(ctx), 1) if a.id == activity.id)


def last_record(ctx: Context) -> Activity | None:
    """The sender's most recently reported active record."""
    if ctx.liaison is None:
        return None
    return ctx.session.exec(
        select(Activity)
        .where(Activity.liaison_id == ctx.liaison.id, Activity.status == "active")
        .order_by(col(Activity.id).desc())
    ).first()


def open_record(ctx: Context) -> Activity | None:
    """The sender's last record if it was reported within the photo window: photos, a location
    or an answer sent now still belong to it."""
    record = last_record(ctx)
    window = timedelta(minutes=ctx.deps.photo_window_minutes)
    if record is not None and record.created_at >= ctx.now - window:
        return record
    return None
