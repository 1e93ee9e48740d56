"""The desk's pages (GET): overview, activity list and record, unit page, photo wall (the push plan
and the units' bindings have their own modules).

The contact person sees everything; a liaison sees their own unit only, and a request for
another unit's record, page or photo is refused rather than quietly narrowed.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from aiohttp import web
from sqlmodel import Session

from bot.config import DASHBOARD_PREFIX
from bot.dashboard import queries
from bot.dashboard.desk import (
    check_unit,
    desk_of,
    not_found,
    path_id,
    query_number,
    render,
    see_other,
    viewer_of,
)
from bot.exports import FORMATS
from bot.workers.rehandler import RehandlePush
from scheduler.plan import PushKind
from storage.wording import COUNT_LABELS, TYPE_LABELS

DONE_NOTES = {
    "edit": "已保存修改。",
    "merge": "已合并：数量已相加，照片已并入本条，另一条已撤回。",
    "withdraw": "已撤回这条记录。",
}
ACTION_LABELS = {
    "activity.create": "报送",
    "activity.update": "修改",
    "activity.withdraw": "撤回",
    "activity.merge": "合并",
}
FIELD_LABELS = {
    "date": "日期",
    "type": "类型",
    "location": "地点",
    **{f: label for f, (label, _) in COUNT_LABELS.items()},
}
PUSH_LABELS = {
    PushKind.RSVP_REQUEST: "参会征集",
    PushKind.RSVP_CHASE: "参会催报",
    PushKind.CEREMONY_REMINDER: "仪式提醒",
    PushKind.CHECKIN_OPEN: "签到开放",
    PushKind.WEEK_KICKOFF: "宣传周启动",
    PushKind.REPORT_NUDGE: "报送提醒",
    PushKind.DIGEST: "汇总",
    PushKind.SUMMARY_REMINDER: "总结提醒",
    PushKind.FINAL_ROLLUP: "截止汇总",
    "manual_nudge": "手动提醒",
    "photo_notice": "图片通知",
    RehandlePush.REPLY: "补发回复",
    RehandlePush.GAVE_UP: "未能处理通知",
}
# Labels for the export buttons; the formats themselves come from bot.exports.FORMATS.
EXPORT_LABELS = {"xlsx": "Excel 活动台账", "docx": "Word 总结初稿", "zip": "照片包（ZIP）"}


def activity_path(activity_id: int) -> str:
    return f"{DASHBOARD_PREFIX}/activities/{activity_id}"


def _page_arg(request: web.Request) -> int:
    return max(1, query_number(request, "page") or 1)


class PageLinks(TypedDict):
    prev_url: str | None
    next_url: str | None


def _page_links(request: web.Request, paged: queries.Paged[Any]) -> PageLinks:
    def link(page: int) -> str | None:
        if not 1 <= page <= paged.pages or page == paged.page:
            return None
        return str(request.rel_url.update_query(page=page))

    return {"prev_url": link(paged.page - 1), "next_url": link(paged.page + 1)}


async def _units(request: web.Request) -> list[tuple[int, str]]:
    desk = desk_of(request)
    units = await desk.read(lambda s: queries.configured_units(s, desk.runtime.settings))
    return [(u.id or 0, u.name) for u in units]


def _labels() -> dict[str, Any]:
    return {
        "type_labels": TYPE_LABELS,
        "count_labels": COUNT_LABELS,
        "action_labels": ACTION_LABELS,
        "field_labels": {**FIELD_LABELS, "end_date": "结束日期"},  # the desk alone sets end_date by itself
    }


async def home(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    if not viewer.is_admin:
        return see_other(f"{DASHBOARD_PREFIX}/units/{viewer.unit_id}")
    desk = desk_of(request)
    today = desk.runtime.clock.now().date()
    found = await desk.read(lambda s: queries.overview(s, desk.runtime.settings, today))
    peak = max(found.by_day, default=0) or 1
    exports = [(fmt, EXPORT_LABELS.get(fmt, fmt)) for fmt in FORMATS]
    mail_to = desk.runtime.settings.contact.email
    return render(
        request, "overview.html", nav="overview", o=found, peak=peak, exports=exports, mail_to=mail_to, **_labels()
    )


async def activities(request: web.Request) -> web.Response:
    viewer, desk = viewer_of(request), desk_of(request)
    unit_id = query_number(request, "unit")
    if viewer.is_admin:
        units = await _units(request)
    else:
        if unit_id is not None:
            check_unit(viewer, unit_id)
        unit_id, units = viewer.unit_id, [(viewer.unit_id, viewer.unit_name)]
    try:
        day = date.fromisoformat(request.query.get("date", ""))
    except ValueError:
        day = None
    kind = request.query.get("type") if request.query.get("type") in TYPE_LABELS else None
    wanted, page_number = queries.ActivityFilter(unit_id, day, kind), _page_arg(request)
    page = await desk.read(lambda s: queries.activity_page(s, wanted, page_number))
    return render(
        request,
        "activities.html",
        nav="activities",
        paged=page,
        wanted=wanted,
        units=units,
        days=queries.campaign_days(desk.runtime.settings),
        **_page_links(request, page),
        **_labels(),
    )


async def show_activity(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """A record with its photos and history; for the contact person, the forms to change it."""
    viewer, desk = viewer_of(request), desk_of(request)
    activity_id = path_id(request, "activity_id", "这条记录")
    row = await desk.read(lambda s: queries.activity_row(s, activity_id))
    if row is None:
        raise not_found("这条记录")
    check_unit(viewer, row.activity.unit_id)

    def history(session: Session) -> dict[str, Any]:
        candidates = queries.merge_candidates(session, row.activity) if viewer.is_admin else []
        return {"trail": queries.audit_trail(session, f"activity:{activity_id}"), "candidates": candidates}

    found = await desk.read(history)
    note = DONE_NOTES.get(request.query.get("done", ""), "")
    return render(
        request, "activity.html", status=status, nav="activities", row=row, error=error, note=note, **found, **_labels()
    )


async def activity_page(request: web.Request) -> web.Response:
    return await show_activity(request)


async def unit_view(request: web.Request) -> web.Response:
    viewer, desk = viewer_of(request), desk_of(request)
    unit_id = path_id(request, "unit_id", "这个单位")
    check_unit(viewer, unit_id)
    today = desk.runtime.clock.now().date()
    found = await desk.read(lambda s: queries.unit_page(s, desk.runtime.settings, unit_id, today))
    if found is None:
        raise not_found("这个单位")
    max_text_chars = desk.runtime.settings.dialog.max_text_chars
    nav = "" if viewer.is_admin else "unit"
    return render(request, "unit.html", nav=nav, u=found, max_text_chars=max_text_chars, **_labels())


async def photo_wall(request: web.Request) -> web.Response:
    viewer, desk = viewer_of(request), desk_of(request)
    unit_id, page_number = query_number(request, "unit"), _page_arg(request)
    if unit_id is not None:
        check_unit(viewer, unit_id)
    if not viewer.is_admin:
        unit_id = viewer.unit_id
    page = await desk.read(lambda s: queries.photo_page(s, unit_id, page_number))
    units = await _units(request) if viewer.is_admin else []
    return render(
        request,
        "photos.html",
        nav="photos",
        paged=page,
        unit_id=unit_id,
        units=units,
        **_page_links(request, page),
        **_labels(),
    )


async def photo_view(request: web.Request) -> web.Response:
    viewer, desk = viewer_of(request), desk_of(request)
    photo_id = path_id(request, "photo_id", "这张照片")
    row = await desk.read(lambda s: queries.photo_row(s, photo_id))
    if row is None:
        raise not_found("这张照片")
    check_unit(viewer, row.photo.unit_id)
    return render(request, "photo.html", nav="photos", p=row, **_labels())
