"""Binding and general commands: 绑定, 解绑, 帮助, and the greeting for strangers."""

from __future__ import annotations

from handlers.binding import audit, bind, grant_for_code, too_many_failures, unbind
from handlers.deps import Deps
from handlers.router import Bound, Command, Context, MsgType, Regex, Router

router = Router("commands")

CODE_PATTERN = r"^\s*(?:绑定\s*[:：]?\s*)?([A-Za-z2-7]{8})\s*$"


def greeting(deps: Deps) -> str:
    contact = deps.contact
    return (
        f"您好！这里是{deps.campaign.name}报送助手。\n"
        f"请先发送“绑定 邀请码”完成绑定（邀请码向联系人{contact.name} {contact.phone} 索取），"
        "之后直接发文字和图片报送活动即可。"
    )


def help_text(ctx: Context) -> str:
    who = f"您已绑定：{ctx.unit.name}。\n" if ctx.unit else ""
    return (
        f"{who}直接发消息报送活动，例如：\n"
        "“今天上午在新华路商圈开展集中宣传，发放资料200份，咨询40人次”\n"
        "可随时补发现场图片。常用指令：\n"
        "我的 — 查看本单位已报送记录\n"
        "改 人数 500 — 更正最近一条（改 2 地点 … 更正第2条）\n"
        "撤回 — 撤回最近一条\n"
        "解绑 — 解除绑定"
    )


@router.message(MsgType("event"))
def on_event(ctx: Context) -> str | None:
    if ctx.msg.event in ("subscribe", "enter_agent"):
        return help_text(ctx) if ctx.liaison else greeting(ctx.deps)
    return None


@router.message(Regex(CODE_PATTERN))
def on_code(ctx: Context) -> str:
    if too_many_failures(ctx):
        return "尝试次数过多，请一小时后再试，或联系联系人核对邀请码。"
    grant = grant_for_code(ctx.deps, ctx.data["match"].group(1))
    if grant is None:
        audit(ctx, "bind.failed", code_prefix=ctx.data["match"].group(1)[:2])
        return "邀请码不正确，请核对后重发（8位字母数字）。"
    bind(ctx, grant, how="invite_code")
    role = "（联系人/管理员）" if grant.role == "admin" else ""
    return f"绑定成功：{grant.unit_name}{role}。\n" + help_text(ctx)


@router.message(Command("绑定"))
def on_bind_without_code(ctx: Context) -> str:
    return "请发送“绑定 邀请码”，邀请码为8位字母数字。"


@router.message(lambda ctx: not Bound(ctx))
def on_stranger(ctx: Context) -> str:
    return greeting(ctx.deps)


@router.message(Command("解绑"))
def on_unbind(ctx: Context) -> str:
    unit_name = unbind(ctx)
    return f"已解除与{unit_name}的绑定。"


@router.message(Command("帮助", "help", "菜单", "?", "？"))
def on_help(ctx: Context) -> str:
    return help_text(ctx)
