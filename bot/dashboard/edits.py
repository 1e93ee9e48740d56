"""The contact person's changes to records on the desk: edit, merge and withdraw.

Every change writes the audit log with who (``web:<channel>:<user_id>``) and when (the injected
clock), in the shapes the chat corrections use (activity.update per field, activity.withdraw), so
a record's history reads the same whichever way it was changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlmodel import Session, col, update

from bot.dashboard.desk import admin_of, desk_of, path_id, see_other
from bot.dashboard.pages import activity_path, show_activity
from bot.dashboard.session import Viewer
from storage.db import parse_integer
from storage.models import Activity, AuditLog, RecordStatus
from storage.photos import Photo
from storage.wording import COUNT_LABELS, TYPE_LABELS

MAX_LOCATION = 100
MAX_COUNT = 10_000_000
Form = MultiDictProxy[Any]


class EditRefused(Exception):
    """The change cannot be made; the message says why, in Chinese, for the page."""


@dataclass(frozen=True)
class RecordEdit:
    day: date
    end_date: date | None  # the last day of a span; None for one day
    kind: str
    location: str | None
    counts: dict[str, int | None]


def parse_edit(form: Form) -> RecordEdit:
    try:
        day = date.fromisoformat(str(form.get("date", "")))
    except ValueError:
        raise EditRefused("日期格式不对，请重新选择日期。") from None
    end_date = None
    if raw_end := str(form.get("end_date", "")).strip():
        try:
            end_date = date.fromisoformat(raw_end)
        except ValueError:
            raise EditRefused("结束日期格式不对，请重新选择，一天的活动留空。") from None
        if end_date < day:
            raise EditRefused("结束日期不能早于开始日期。")
    kind = str(form.get("type", ""))
    if kind not in TYPE_LABELS:
        raise EditRefused("请选择活动类型。")
    location = str(form.get("location", "")).strip()
    if len(location) > MAX_LOCATION:
        raise EditRefused(f"地点请不超过{MAX_LOCATION}个字。")
    if not location.isprintable():  # control characters; PostgreSQL refuses NUL in text outright
        raise EditRefused("地点里有无法显示的字符，请重新输入。")
    counts: dict[str, int | None] = {}
    for field, (label, _) in COUNT_LABELS.items():
        raw = str(form.get(field, "")).strip()
        count = parse_integer(raw)
        if not raw:
            counts[field] = None
        elif count is not None and count <= MAX_COUNT:
            counts[field] = count
        else:
            raise EditRefused(f"“{label}”请填不小于0的整数，或留空。")
    return RecordEdit(day, end_date if end_date != day else None, kind, location or None, counts)


def _audit(session: Session, viewer: Viewer, now: datetime, action: str, record: Activity, **detail: Any) -> None:
    detail["how"] = "web"
    session.add(AuditLog(at=now, actor=viewer.actor, action=action, target=f"activity:{record.id}", detail=detail))


def _active(session: Session, activity_id: int) -> Activity:
    record = session.get(Activity, activity_id)
    if record is None:
        raise EditRefused("记录不存在。")
    if record.status != RecordStatus.ACTIVE:
        raise EditRefused("这条记录已撤回，不能再修改。")
    return record


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def edit_record(session: Session, activity_id: int, edit: RecordEdit, viewer: Viewer, now: datetime) -> int:
    """Apply the edit; returns how many fields changed, each audited as activity.update."""
    record = _active(session, activity_id)
    wanted: dict[str, Any] = {
        "date": edit.day,
        "end_date": edit.end_date,
        "type": edit.kind,
        "location": edit.location,
        **edit.counts,
    }
    changed = [field for field, value in wanted.items() if getattr(record, field) != value]
    for field in changed:
        before = getattr(record, field)
        setattr(record, field, wanted[field])
        _audit(
            session,
            viewer,
            now,
            "activity.update",
            record,
            field=field,
            before=_plain(before),
            after=_plain(wanted[field]),
        )
    if changed:
        # A number typed on the desk is exact: a changed count loses its 约/余 mark.
        record.approximate = {f: v for f, v in record.approximate.items() if f not in changed}
        record.updated_at = now
        session.add(record)
    return len(changed)


def merge_records(session: Session, keep_id: int, other_id: int, viewer: Viewer, now: datetime) -> int:
    """Fold ``other`` into ``keep`` (same unit): counts summed, photos moved, other withdrawn.

    Returns the number of photos moved.
    """
    if keep_id == other_id:
        raise EditRefused("请选择另一条记录。")
    keep, other = _active(session, keep_id), _active(session, other_id)
    if keep.unit_id != other.unit_id:
        raise EditRefused("只能合并同一单位的记录。")
    before = {field: getattr(keep, field) for field in COUNT_LABELS}
    for field in COUNT_LABELS:
        mine, theirs = getattr(keep, field), getattr(other, field)
        if mine is not None or theirs is not None:
            setattr(keep, field, (mine or 0) + (theirs or 0))
    approximate = {f for f, v in (*keep.approximate.items(), *other.approximate.items()) if v}
    keep.approximate = dict.fromkeys(sorted(approximate), True)
    keep.location = keep.location or other.location
    if other.text and other.text not in keep.text:
        keep.text = f"{keep.text}\n{other.text}".strip()
    keep.updated_at = other.updated_at = now
    other.status = RecordStatus.WITHDRAWN
    moved = session.execute(
        update(Photo).where(col(Photo.activity_id) == other.id).values(activity_id=keep.id)
    ).rowcount  # type: ignore[attr-defined]
    session.add(keep)
    session.add(other)
    after = {field: getattr(keep, field) for field in COUNT_LABELS}
    _audit(
        session, viewer, now, "activity.merge", keep, merged=other.id, photos_moved=moved, before=before, after=after
    )
    _audit(session, viewer, now, "activity.withdraw", other, merged_into=keep.id)
    return int(moved)


def withdraw_record(session: Session, activity_id: int, viewer: Viewer, now: datetime) -> None:
    record = _active(session, activity_id)
    record.status, record.updated_at = RecordStatus.WITHDRAWN, now
    session.add(record)
    _audit(session, viewer, now, "activity.withdraw", record)


Change = Callable[[Session, int, Form, Viewer, datetime], object]


async def _apply(request: web.Request, change: Change, done: str) -> web.Response:
    """Run a change for the contact person; a refusal re-shows the record with the reason."""
    viewer, desk = admin_of(request), desk_of(request)
    activity_id = path_id(request, "activity_id", "这条记录")
    form = await request.post()
    now = desk.runtime.clock.now()
    try:
        await desk.run(lambda session: change(session, activity_id, form, viewer, now))
    except EditRefused as refused:
        return await show_activity(request, error=str(refused), status=400)
    return see_other(f"{activity_path(activity_id)}?done={done}")


def _edit(session: Session, activity_id: int, form: Form, viewer: Viewer, now: datetime) -> object:
    return edit_record(session, activity_id, parse_edit(form), viewer, now)


def _merge(session: Session, activity_id: int, form: Form, viewer: Viewer, now: datetime) -> object:
    other = parse_integer(str(form.get("other", "")))
    if other is None:
        raise EditRefused("请选择要并入的记录。")
    return merge_records(session, activity_id, other, viewer, now)


def _withdraw(session: Session, activity_id: int, _form: Form, viewer: Viewer, now: datetime) -> object:
    withdraw_record(session, activity_id, viewer, now)
    return None


async def edit_view(request: web.Request) -> web.Response:
    return await _apply(request, _edit, "edit")


async def merge_view(request: web.Request) -> web.Response:
    return await _apply(request, _merge, "merge")


async def withdraw_view(request: web.Request) -> web.Response:
    return await _apply(request, _withdraw, "withdraw")
