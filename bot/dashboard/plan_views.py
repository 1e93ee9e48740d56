"""推送计划: the push plan with each push's state and recipients, skipping and re-enabling a push,
an ad-hoc notice with a confirmation step, and the pushes that failed.

The notice goes through handlers.contact_routes.send_notice, the function the chat ``通知``
command uses, so both reach the same people with the same text and audit row. Its confirmation
page carries a one-off nonce that becomes the outbox key: pressing 确认发送 twice queues it once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from aiohttp import web
from sqlmodel import Session, col, select

from bot.config import DASHBOARD_PREFIX
from bot.dashboard import queries
from bot.dashboard.desk import Refused, admin_of, desk_of, render, see_other
from bot.dashboard.pages import PUSH_LABELS
from bot.dashboard.plan_queries import people_names, push_plan
from handlers.binding import write_audit
from handlers.contact_routes import NOTICE_AUDIENCES, notice_audience, reached_units, send_notice
from scheduler.plan import Audience, PlannedPush, build_plan
from storage.campaign_status import FiredPush
from storage.models import Via
from storage.outbox import OutboxMessage, OutboxStatus
from storage.push_skips import skip_push, unskip_push

MAX_NOTICE = 500
NONCE = re.compile(r"[0-9a-f]{32}")
AUDIENCE_LABELS = {
    Audience.MEMBER_UNITS: "成员单位联络员",
    Audience.UNCONFIRMED_UNITS: "未报参会人员的成员单位",
    Audience.CONFIRMED_LIAISONS: "已报参会人员的单位",
    Audience.ALL_LIAISONS: "全部联络员",
    Audience.SILENT_UNITS_TODAY: "当天未报送的单位",
    Audience.CONTACT: "联系人",
    Audience.UNITS_WITHOUT_SUMMARY: "未交总结的单位",
}
STATUS_LABELS = {
    OutboxStatus.PENDING: "待发",
    OutboxStatus.SENT: "已发送",
    OutboxStatus.FAILED: "失败",
    OutboxStatus.EXPIRED: "过期",
}
DONE_NOTES = {
    "skip": "已设为不发送：到时间也不会发出。",
    "enable": "已恢复：到时间会照常发出。",
    "notice": "通知已排队，马上发出；发送情况见下方“失败与过期”（没有即全部发出）。",
}
PLAN_PATH = f"{DASHBOARD_PREFIX}/pushes"


def _plan(request: web.Request) -> list[PlannedPush]:
    return build_plan(desk_of(request).runtime.settings)


async def push_plan_page(request: web.Request) -> web.Response:
    admin_of(request)
    desk = desk_of(request)
    runtime, now = desk.runtime, desk.runtime.clock.now()
    plan = _plan(request)

    def read(session: Session) -> dict[str, Any]:  # template context, as render takes it
        return {
            "lines": push_plan(session, runtime.deps, plan, now),
            "failed": queries.failed_pushes(session),
            "unhandled": queries.unhandled_messages(session),
            "names": people_names(session, runtime.deps),
        }

    found = await desk.read(read)
    return render(
        request,
        "pushes.html",
        nav="pushes",
        shown=queries.FAILED_PUSHES_SHOWN,
        push_labels=PUSH_LABELS,
        audience_labels=AUDIENCE_LABELS,
        status_labels=STATUS_LABELS,
        note=DONE_NOTES.get(request.query.get("done", ""), ""),
        now=now,
        **found,
    )


async def _planned(request: web.Request) -> PlannedPush:
    key = str((await request.post()).get("key", ""))
    push = next((p for p in _plan(request) if p.key == key), None)
    if push is None:
        raise Refused(404, "没有找到", "推送计划里没有这条推送。")
    return push


async def skip_view(request: web.Request) -> web.Response:
    viewer, desk = admin_of(request), desk_of(request)
    push = await _planned(request)
    now = desk.runtime.clock.now()

    def skip(session: Session) -> str:
        if session.get(FiredPush, push.key) is not None:
            return "这条推送已经发出，不能再设为不发送。"
        if now >= push.expires_at:
            return "这条推送已过时效，不会再发出。"
        if skip_push(session, push.key, viewer.actor, now):
            write_audit(session, now, viewer.actor, "push.skip", push.key, kind=str(push.kind), how=Via.WEB)
        return ""

    refused = await desk.run(skip)
    if refused:
        raise Refused(409, "无法设为不发送", refused)
    return see_other(f"{PLAN_PATH}?done=skip#{push.key}")


async def enable_view(request: web.Request) -> web.Response:
    viewer, desk = admin_of(request), desk_of(request)
    push = await _planned(request)
    now = desk.runtime.clock.now()
    if now >= push.at:
        # The executor fires a push once, when its time comes; one skipped then stays unsent.
        raise Refused(409, "无法恢复", "这条推送的发送时间已过，恢复后也不会再发出。")

    def enable(session: Session) -> None:
        if unskip_push(session, push.key):
            write_audit(session, now, viewer.actor, "push.enable", push.key, kind=str(push.kind), how=Via.WEB)

    await desk.run(enable)
    return see_other(f"{PLAN_PATH}?done=enable#{push.key}")


async def _notice_form(request: web.Request) -> tuple[str, str]:
    form = await request.post()
    who, text = str(form.get("audience", "")), str(form.get("text", "")).strip()
    if who not in NOTICE_AUDIENCES:
        raise Refused(400, "请选择发送对象", "请返回选择“全部”或“未报”。")
    if not text:
        raise Refused(400, "请填写通知内容", "通知内容不能为空，请返回填写。")
    if len(text) > MAX_NOTICE:
        raise Refused(400, "通知太长", f"通知请不超过{MAX_NOTICE}个字，请返回修改。")
    return who, text


async def notice_preview(request: web.Request) -> web.Response:
    """The confirmation step: who it reaches now, and the text exactly as it will read."""
    admin_of(request)
    desk = desk_of(request)
    who, text = await _notice_form(request)
    runtime, now = desk.runtime, desk.runtime.clock.now()

    def look(session: Session) -> dict[str, Any]:  # template context, as render takes it
        resolved = notice_audience(session, runtime.deps, who, now)
        names = people_names(session, runtime.deps)
        people = [(names.get((r.channel, r.user_id), r.user_id), r.unit) for r in resolved.recipients]
        return {"people": people, "units": reached_units(resolved), "unreached": resolved.unreached}

    found = await desk.read(look)
    return render(
        request,
        "notice_confirm.html",
        nav="pushes",
        audience=who,
        text=text,
        shown_text=f"【{runtime.deps.contact.name}通知】{text}",
        nonce=secrets.token_hex(16),
        **found,
    )


async def notice_send(request: web.Request) -> web.Response:
    viewer, desk = admin_of(request), desk_of(request)
    who, text = await _notice_form(request)
    nonce = str((await request.post()).get("nonce", ""))
    if not NONCE.fullmatch(nonce):
        raise Refused(400, "页面已过期", "请返回推送计划重新填写通知。")
    runtime, now = desk.runtime, desk.runtime.clock.now()
    key = f"web:{nonce}"

    def send(session: Session) -> int | None:
        already = session.exec(
            select(OutboxMessage.id).where(col(OutboxMessage.key).startswith(f"notice:{key}:")).limit(1)
        ).first()
        if already is not None:
            return None  # the same confirmation pressed again: sent once, audited once
        return send_notice(session, runtime.deps, who, text, key, viewer.actor, now)

    sent = await desk.run(send)
    if sent == 0:
        raise Refused(409, "通知没有发送", "没有可以发送的对象（相关单位都还没有联络员绑定）。")
    return see_other(f"{PLAN_PATH}?done=notice")
