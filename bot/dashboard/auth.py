"""Who may see the desk: the guard every request passes, logging in through a one-time link, and
logging out.

Opening a login link shows a button; only pressing it (a POST) uses the link up. Chat apps and
mail scanners fetch links to preview them, and a preview must not spend a single-use link.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlmodel import Session

from bot.config import DASHBOARD_PREFIX
from bot.dashboard.desk import VIEWER, Refused, desk_of, notice, render, see_other
from bot.dashboard.session import SessionClaims, Viewer
from handlers.binding import load_liaison
from storage.models import AuditLog, Role, Unit
from storage.web_sessions import (
    LoginLink,
    end_desk_session,
    live_desk_session,
    redeem_login_link,
    start_desk_session,
    usable_login_link,
)

log = logging.getLogger(__name__)

COOKIE = "weekbot_desk"
# Routes that answer without a session: the login link and the stylesheet. The login form needs
# no CSRF token: the single-use token in its URL is exactly what a forged form cannot supply.
OPEN_ROUTES = frozenset({"login", "static"})


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No session, no content; every POST carries the session's CSRF token; refusals get a page."""
    try:
        if request.match_info.route.name not in OPEN_ROUTES:
            viewer = await _session_viewer(request)
            if viewer is None:
                raise Refused(403, "请先登录", "请在企业微信里向报送助手发送“后台”，点开收到的链接登录。")
            request[VIEWER] = viewer
            if request.method == "POST":
                try:
                    form = await request.post()  # parsed once; the views read aiohttp's cached copy
                except ValueError:  # not form data in UTF-8 (UnicodeDecodeError is a ValueError)
                    raise Refused(400, "请求格式不对", "提交的内容无法识别，请返回上一页，刷新后再提交。") from None
                if not desk_of(request).signer.csrf_ok(viewer.cookie, str(form.get("csrf", ""))):
                    raise Refused(403, "页面已过期", "请返回上一页，刷新后再提交。")
        return await handler(request)
    except Refused as refused:
        return notice(request, refused.status, refused.title, refused.detail)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("desk error on %s %s", request.method, request.path)
        return notice(request, 500, "出错了", "页面暂时打不开，请稍后再试；如果一直这样，请联系系统管理员。")


async def _session_viewer(request: web.Request) -> Viewer | None:
    cookie = request.cookies.get(COOKIE, "")
    desk = desk_of(request)
    now = desk.runtime.clock.now()
    claims = desk.signer.unseal(cookie, now) if cookie else None
    if claims is None:
        return None

    def still_bound(session: Session) -> Viewer | None:
        if live_desk_session(session, claims.token, now) is None:  # logged out
            return None
        liaison, unit = load_liaison(session, claims.channel, claims.user_id)
        if liaison is None or unit is None or (liaison.role, liaison.unit_id) != (claims.role, claims.unit_id):
            return None
        name = liaison.name or claims.user_id
        return Viewer(
            claims.channel, claims.user_id, claims.role, claims.unit_id, unit.name, name, cookie, claims.token
        )

    return await desk.run(still_bound)


def landing(role: str, unit_id: int) -> str:
    """Where a session starts: the overview for the contact person, the own unit for a liaison."""
    return f"{DASHBOARD_PREFIX}/" if role == Role.ADMIN else f"{DASHBOARD_PREFIX}/units/{unit_id}"


def _link_refused(request: web.Request) -> Refused:
    minutes = desk_of(request).runtime.settings.dashboard.login_link_minutes
    return Refused(
        403,
        "链接已失效",
        f"登录链接只能使用一次，且{minutes}分钟内有效。请在企业微信里重新发送“后台”获取新链接。",
    )


async def login_page(request: web.Request) -> web.Response:
    desk, token = desk_of(request), request.match_info["token"]
    now = desk.runtime.clock.now()

    def look(session: Session) -> tuple[LoginLink, str] | None:
        link = usable_login_link(session, token, now)
        unit = session.get(Unit, link.unit_id) if link else None
        return (link, unit.name) if link and unit else None

    found = await desk.run(look)
    if found is None:
        raise _link_refused(request)
    link, unit_name = found
    return render(request, "login.html", unit_name=unit_name, read_only=link.role != Role.ADMIN)


async def log_in(request: web.Request) -> web.Response:
    """Use the link up, check the binding still matches it, and start the session."""
    desk, token = desk_of(request), request.match_info["token"]
    now = desk.runtime.clock.now()
    lifetime = timedelta(hours=desk.runtime.settings.dashboard.session_hours)

    def claim(session: Session) -> tuple[LoginLink, str] | None:
        link = redeem_login_link(session, token, now)
        if link is None:
            return None
        liaison, unit = load_liaison(session, link.channel, link.user_id)
        if liaison is None or unit is None or (liaison.role, liaison.unit_id) != (link.role, link.unit_id):
            return None
        actor = f"web:{link.channel}:{link.user_id}"
        session.add(AuditLog(at=now, actor=actor, action="desk.login", target=unit.name, detail={"role": link.role}))
        return link, start_desk_session(session, channel=link.channel, user_id=link.user_id, now=now, ttl=lifetime)

    claimed = await desk.run(claim)
    if claimed is None:
        raise _link_refused(request)
    link, session_token = claimed
    expires_at = (now + lifetime).timestamp()
    claims = SessionClaims(link.channel, link.user_id, link.role, link.unit_id, expires_at, session_token)
    response = see_other(landing(link.role, link.unit_id))
    response.set_cookie(
        COOKIE,
        desk.signer.seal(claims),
        max_age=int(lifetime.total_seconds()),
        path=DASHBOARD_PREFIX,
        httponly=True,
        samesite="Lax",
        secure=desk.secure_cookies,
    )
    return response


async def log_out(request: web.Request) -> web.Response:
    """End the session on the server (every copy of the cookie stops working) and drop the cookie."""
    desk, viewer = desk_of(request), request.pop(VIEWER)  # the page after shows no one as logged in
    now = desk.runtime.clock.now()

    def end(session: Session) -> None:
        if end_desk_session(session, viewer.session_token, now):
            session.add(AuditLog(at=now, actor=viewer.actor, action="desk.logout", target=viewer.unit_name, detail={}))

    await desk.run(end)
    response = notice(request, 200, "已退出", "如需再次进入，请在企业微信里发送“后台”。")
    response.del_cookie(COOKIE, path=DASHBOARD_PREFIX)
    return response
