"""单位与联络员: every unit's invite code and invitation, who is bound where, unbinding someone who
left and binding a WeCom userid to a unit — the contact person's answer to "who reports for whom".

Binding and unbinding go through handlers.binding (bind_user, end_binding), the functions the chat
``绑定`` and ``解绑`` use, so a desk change has the same effect; the audit row names the desk user
as actor (``web:<channel>:<user_id>``) and the person bound or unbound in its detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import web
from sqlmodel import Session, col, select

from bot.config import DASHBOARD_PREFIX
from bot.dashboard.desk import Refused, admin_of, desk_of, path_id, render, see_other
from handlers.binding import Grant, bind_user, end_binding, write_audit
from handlers.contact_routes import CHANNEL_LABELS, invitation, unit_code
from storage.db import parse_integer
from storage.models import ChannelKind, Liaison, Role, Unit

# WeCom userids: letters, digits and _ - . @, at most 64 (the WeCom admin console's rule).
WECOM_USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
PHONE = re.compile(r"[0-9+\- ]{5,20}")
MAX_NAME = 20
DONE_NOTES = {"bind": "已绑定。对方现在可以直接在企业微信里报送。", "unbind": "已解绑。"}
UNITS_PATH = f"{DASHBOARD_PREFIX}/units"


@dataclass(frozen=True)
class UnitBindings:
    unit: Unit
    code: str
    invitation: str
    liaisons: tuple[Liaison, ...]


def unit_bindings(session: Session, request: web.Request) -> list[UnitBindings]:
    deps = desk_of(request).runtime.deps
    found = {u.name: u for u in session.exec(select(Unit)).all()}
    bound: dict[int, list[Liaison]] = {}
    for liaison in session.exec(select(Liaison).where(Liaison.role != Role.UNBOUND).order_by(col(Liaison.bound_at))):
        bound.setdefault(liaison.unit_id, []).append(liaison)
    rows = []
    for configured in deps.units:
        unit = found.get(configured.name)
        if unit is not None:
            code, text = unit_code(deps, unit.name), invitation(deps, unit.name)
            rows.append(UnitBindings(unit, code, text, tuple(bound.get(unit.id or 0, ()))))
    return rows


async def units_page(request: web.Request) -> web.Response:
    admin_of(request)
    desk = desk_of(request)
    rows = await desk.read(lambda session: unit_bindings(session, request))
    note = DONE_NOTES.get(request.query.get("done", ""), "")
    return render(
        request,
        "units.html",
        nav="units",
        rows=rows,
        note=note,
        channel_labels=CHANNEL_LABELS,
        bound_units=sum(1 for row in rows if row.liaisons),
    )


async def bind_view(request: web.Request) -> web.Response:
    viewer, desk = admin_of(request), desk_of(request)
    form = await request.post()
    user_id = str(form.get("user_id", "")).strip()
    name, phone = str(form.get("name", "")).strip(), str(form.get("phone", "")).strip()
    raw_unit = str(form.get("unit", ""))
    if not WECOM_USERID.fullmatch(user_id):
        raise Refused(400, "账号格式不对", "企业微信账号（userid）只含字母、数字和 _ - . @，不超过64位。请返回修改。")
    if len(name) > MAX_NAME or (phone and not PHONE.fullmatch(phone)):
        raise Refused(400, "姓名或电话格式不对", f"姓名请不超过{MAX_NAME}个字，电话只填数字。请返回修改。")
    unit_id = parse_integer(raw_unit) or 0
    configured = {u.name for u in desk.runtime.deps.units}
    now = desk.runtime.clock.now()

    def bind(session: Session) -> str:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.name not in configured:
            return "请选择要绑定的单位。"
        existing = session.exec(
            select(Liaison).where(Liaison.channel == ChannelKind.WECOM, Liaison.user_id == user_id)
        ).first()
        if existing is not None and existing.role == Role.ADMIN:
            return "这个账号是联系人，不能绑定为联络员。"
        before = session.get(Unit, existing.unit_id) if existing and existing.role != Role.UNBOUND else None
        liaison, _ = bind_user(session, ChannelKind.WECOM, user_id, Grant(unit.name, Role.LIAISON), now, known=existing)
        if name:
            liaison.name = name
        if phone:
            liaison.phone = phone
        session.add(liaison)
        detail = {
            "role": Role.LIAISON,
            "how": "web",
            "channel": ChannelKind.WECOM,
            "user_id": user_id,
            "name": liaison.name,
        }
        if before is not None:
            detail["before"] = before.name
        write_audit(session, now, viewer.actor, "bind", unit.name, **detail)
        return ""

    refused = await desk.run(bind)
    if refused:
        raise Refused(400, "没有绑定", refused)
    return see_other(f"{UNITS_PATH}?done=bind")


async def unbind_view(request: web.Request) -> web.Response:
    viewer, desk = admin_of(request), desk_of(request)
    liaison_id = path_id(request, "liaison_id", "这位联络员")
    now = desk.runtime.clock.now()

    def unbind(session: Session) -> str:
        liaison = session.get(Liaison, liaison_id)
        if liaison is None or liaison.role == Role.UNBOUND:
            return "这位联络员已经解绑。"
        if liaison.role == Role.ADMIN:
            return "联系人的绑定不能在后台解除；如需解绑，请本人在企业微信里发送“解绑”。"
        unit = session.get(Unit, liaison.unit_id)
        end_binding(session, liaison)
        detail = {"how": "web", "channel": liaison.channel, "user_id": liaison.user_id, "name": liaison.name}
        write_audit(session, now, viewer.actor, "unbind", unit.name if unit else "", **detail)
        return ""

    refused = await desk.run(unbind)
    if refused:
        raise Refused(409, "没有解绑", refused)
    return see_other(f"{UNITS_PATH}?done=unbind")
