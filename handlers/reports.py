"""Text that reads as a report becomes activity records; the reply restates what was recorded."""

from __future__ import annotations

from sqlmodel import select

from handlers.binding import audit
from handlers.parsing import COUNT_FIELDS, ParsedActivity, Reading
from handlers.photos import attach_waiting_photos
from handlers.prereading import UNREAD, read_text, too_long
from handlers.router import Context, UnitRef
from handlers.wording import CORRECTION_HINT
from storage.direct import DirectInsert
from storage.models import Activity, RecordStatus, Unit
from storage.wording import say_activity, say_date


def read_message(ctx: Context) -> Reading:
    """The parser's reading of this message, computed once however many routes ask: taken
    from the bot's pre-reading when it fits (see handlers.prereading); a text too long is not read."""
    if ctx.reading is None:
        bound = ctx.unit.name if ctx.unit else None
        pre = ctx.pre_reading
        if too_long(ctx.deps, ctx.msg):
            ctx.reading = UNREAD
        elif pre is not None and pre.fits(ctx.msg.text, ctx.now, bound):
            ctx.reading = pre.reading
        else:
            ctx.reading = read_text(ctx.deps, ctx.msg.text, ctx.now, bound)
    return ctx.reading


def reporting_unit(ctx: Context, reading: Reading) -> UnitRef | str:
    """The unit to file under, or a refusal. Only the contact person may file for another unit."""
    own = ctx.bound_unit
    named = reading.unit if reading.unit_source == "text" else None
    if named is None or named == own.name:
        return own
    if ctx.is_admin:
        unit = ctx.session.exec(select(Unit).where(Unit.name == named)).one()
        return UnitRef(unit.id or 0, unit.name)
    return f"您绑定的是{own.name}，不能代{named}报送。如需更换单位，请先发“解绑”，再用新单位的邀请码绑定。"


# Run for every report: straight on the driver's cursor (storage.direct).
_INSERT_ACTIVITY = DirectInsert(Activity)


def record_activities(ctx: Context, unit: UnitRef, parsed: tuple[ParsedActivity, ...]) -> list[Activity]:
    """Insert one record per parsed activity; return them, with their ids, for the reply (detached
    snapshots: to change a record, load it)."""
    records = []
    for item in parsed:
        values = {
            "unit_id": unit.id,
            "liaison_id": ctx.sender.liaison_id if ctx.sender else None,
            "message_id": ctx.message_id,
            "date": item.date,
            "end_date": item.end_date if item.end_date > item.date else None,  # None: one day
            "type": item.type,
            "location": item.location,
            "approximate": {f: True for f in item.approximate},
            "text": item.source_text,
            "status": RecordStatus.ACTIVE,
            "created_at": ctx.now,
            "updated_at": ctx.now,
            **{f: getattr(item, f) for f in COUNT_FIELDS},
        }
        activity_id = _INSERT_ACTIVITY.new_id(ctx.session, values)
        # A snapshot for the reply, never added to the session: model_construct skips the
        # instrumented __init__, which was an eighth of the writer's time per report.
        records.append(Activity.model_construct(id=activity_id, **values))
    for activity in records:
        audit(ctx, "activity.create", f"activity:{activity.id}", unit=unit.name)
    if records:
        attach_waiting_photos(ctx, records[0])  # photos sent just before the words
    return records


def outside_week_note(ctx: Context, records: list[Activity]) -> str | None:
    campaign = ctx.deps.campaign
    # Almost every record lies within the week: its days need not be listed to say so.
    outside = [a for a in records if a.date < campaign.week_start or a.last_day > campaign.week_end]
    days = sorted({d for a in outside for d in a.days() if not campaign.week_start <= d <= campaign.week_end})
    if not days:
        return None
    said = "、".join(say_date(d) for d in days)
    week = f"{say_date(campaign.week_start)}至{say_date(campaign.week_end)}"
    return f"提示：{said}不在宣传周（{week}）内，如日期有误请发“改 日期 4月22日”。"


def recorded_reply(unit: UnitRef, records: list[Activity], notes: tuple[str, ...]) -> str:
    if len(records) == 1:
        lines = [f"已记录（{unit.name}）：", say_activity(records[0])]
    else:
        lines = [f"已记录{len(records)}条活动（{unit.name}）："]
        lines += [f"{n}. {say_activity(a)}" for n, a in enumerate(records, 1)]
    lines += list(notes)
    lines.append(CORRECTION_HINT)
    return "\n".join(lines)
