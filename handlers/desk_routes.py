"""后台: a one-time link to the web desk.

The contact person (admin) gets the whole desk; a liaison gets a read-only view of their own
unit. The link works once, for a few minutes, so a forwarded or leaked chat message is not a
standing key to the records.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.binding import audit
from handlers.router import Command, Context, Router
from storage.web_sessions import issue_login_link

router = Router("desk")


def login_url(desk_url: str, token: str) -> str:
    return f"{desk_url}/login/{token}"


@router.message(Command("后台", "管理后台", "网页后台"))
def on_desk(ctx: Context) -> str:
    minutes = ctx.deps.login_link_minutes
    token = issue_login_link(
        ctx.session,
        channel=ctx.msg.channel,
        user_id=ctx.msg.user_id,
        unit_id=ctx.bound_unit.id or 0,
        role=ctx.bound_liaison.role,
        now=ctx.now,
        ttl=timedelta(minutes=minutes),
    )
    audit(ctx, "desk.link", ctx.bound_unit.name, role=ctx.bound_liaison.role)
    url = login_url(ctx.deps.desk_url, token)
    if ctx.is_admin:
        return f"后台登录链接（{minutes}分钟内有效，仅能使用一次，请勿转发）：\n{url}"
    return f"{ctx.bound_unit.name}报送记录查看链接（只读，{minutes}分钟内有效，仅能使用一次）：\n{url}"
