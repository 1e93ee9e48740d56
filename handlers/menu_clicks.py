"""App menu clicks: a click on a menu button is handled as if its command had been typed.

WeChat sends a click as ``MsgType=event, Event=click, EventKey=<key>``; the pipeline has already
verified, stored and de-duplicated it like any message. The config maps each key to a command
text ([[menu.buttons]]), so the menu reaches exactly the handlers typing reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from handlers.inbound import MessageKind

if TYPE_CHECKING:  # handlers.router imports Deps, which holds MenuClick
    from handlers.router import Context, Reply

CLICK_EVENT = "click"


@dataclass(frozen=True)
class MenuClick:
    name: str  # the button's label, for the reply when it is not for this person
    command: str  # the text the click stands for
    contact_only: bool = False


def route_menu_clicks(ctx: Context, call_next: Callable[[Context], Reply]) -> Reply:
    """Middleware (after identify): turn a known click into its command text."""
    msg = ctx.msg
    if msg.msg_type != MessageKind.EVENT or msg.event != CLICK_EVENT:
        return call_next(ctx)
    click = ctx.deps.menu_clicks.get(msg.event_key or "")
    if click is None:
        # A menu installed from an older config: its key no longer means anything.
        return "这个菜单项已经停用，请发送“帮助”查看可用的指令。"
    # WeCom menus are per app, not per person: a liaison sees the contact person's items too.
    if click.contact_only and ctx.liaison is not None and not ctx.is_admin:
        return f"“{click.name}”供联系人{ctx.deps.contact.name}使用。发送“帮助”可查看您能用的指令。"
    ctx.msg = replace(msg, msg_type=MessageKind.TEXT, content=click.command)
    return call_next(ctx)
