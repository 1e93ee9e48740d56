"""Binding and general commands: 绑定, 解绑, 帮助, and the greeting for strangers."""

from __future__ import annotations

from handlers.binding import audit, bind, grant_for_code, too_many_failures, unbind
from handlers.deps import Deps
from handlers.inbound import MessageKind
from handlers.names import ask_name_once
from handlers.router import Bound, Command, Context, MsgType, Regex, Router
from scheduler.push_texts import span_label
from storage.models import Role, Via

router = Router("commands")

CODE_PATTERN = r"^\s*(?:绑定\s*[:：]?\s*)?([A-Za-z2-7]{8})\s*$"


def greeting(deps: Deps) -> str:
    contact = deps.contact
    return (
        f"您好！这里是{deps.campaign.name}报送助手。\n"
        f"请先发送“绑定 邀请码”完成绑定（邀请码向联系人{contact.name} {contact.phone} 索取），"
        "之后直接发文字和图片报送活动即可。"
    )


LIAISON_COMMANDS = (
    "我的 — 查看本单位已报送记录（序号固定不变）\n"
    "改 人数 500 — 更正最近一条（改 2 地点 … 更正第2条；也可直接说“刚才那条人数应该是350人”）\n"
    "撤回 2 — 撤回第2条（不写序号撤回最近一条），恢复 2 — 撤销撤回\n"
    "图 2 — 把刚发的图片关联到第2条\n"
    "后台 — 网页查看本单位记录\n"
    "解绑 — 解除绑定"
)
CONTACT_COMMANDS = (
    "联系人指令：\n"
    "进度 — 今天各单位报送进度\n"
    "未报 — 今天还没报送的单位\n"
    "提醒 单位名 — 单独提醒一个单位\n"
    "汇总 — 当天（宣传周后为全周）汇总\n"
    "参会 — 启动仪式参会回执\n"
    "总结 — 工作总结提交情况；已交 单位名 — 登记某单位已交\n"
    "邀请码 — 各单位邀请码；邀请码 单位名 — 可转发的邀请文字\n"
    "联络员 — 各单位绑定情况\n"
    "通知 全部|未报 文字 — 群发通知（需回复“确认”）\n"
    "后台 — 网页后台登录链接"
)


def help_text(ctx: Context) -> str:
    """Each role sees its own commands: the contact person's come first for them."""
    who = f"您已绑定：{ctx.unit.name}。\n" if ctx.unit else ""
    if ctx.is_admin:
        return f"{who}{CONTACT_COMMANDS}"
    return (
        f"{who}直接发消息报送活动，例如：\n"
        "“今天上午在新华路商圈开展集中宣传，发放资料200份，咨询40人次”\n"
        "可随时补发现场图片。常用指令：\n" + LIAISON_COMMANDS
    )


@router.message(MsgType(MessageKind.EVENT))
def on_event(ctx: Context) -> str | None:
    if ctx.msg.event in ("subscribe", "enter_agent"):
        return help_text(ctx) if ctx.liaison else greeting(ctx.deps)
    return None


@router.message(Regex(CODE_PATTERN))
def on_code(ctx: Context) -> str:
    if too_many_failures(ctx):
        return "尝试次数过多，请一小时后再试，或联系联系人核对邀请码。"
    grant = grant_for_code(ctx.deps, ctx.groups[0])
    if grant is None:
        audit(ctx, "bind.failed", code_prefix=ctx.groups[0][:2])
        return "邀请码不正确，请核对后重发（8位字母数字）。"
    bind(ctx, grant, how=Via.INVITE_CODE)
    role = "（联系人/管理员）" if grant.role == Role.ADMIN else ""
    return ask_name_once(ctx, f"绑定成功：{grant.unit_name}{role}。\n" + help_text(ctx))


@router.message(Command("绑定"))
def on_bind_without_code(ctx: Context) -> str:
    return "请发送“绑定 邀请码”，邀请码为8位字母数字。"


@router.message(Command("报送说明", "怎么报", "如何报送"))
def on_reporting_guide(ctx: Context) -> str:
    """How to report (the menu's 报送说明): also for someone not yet bound, who is told to bind."""
    campaign, contact = ctx.deps.campaign, ctx.deps.contact
    bind_first = "" if ctx.liaison else "请先发送“绑定 邀请码”完成绑定。\n"
    return (
        f"{bind_first}{campaign.name}（{span_label(campaign.week_start, campaign.week_end)}）报送说明：\n"
        "开展活动后随时在这里报送，一条消息说清时间、地点、活动内容和数字，例如：\n"
        f"“今天上午在{campaign.city}主要商圈开展集中宣传，发放宣传资料300份，现场咨询50人次”\n"
        f"现场照片先发后发都可以（{ctx.deps.photo_window_minutes}分钟内自动关联到这条活动）。\n"
        "发错了：“改 人数 500”“撤回”；查看已报：“我的”。\n"
        f"有问题请联系{contact.name}（{contact.phone}）。"
    )


@router.message(lambda ctx: not Bound(ctx))
def on_stranger(ctx: Context) -> str:
    return greeting(ctx.deps)


# Only for bound senders (the dispatcher guards it with Bound).
bound_router = Router("commands-bound")


@bound_router.message(Command("解绑"))
def on_unbind(ctx: Context) -> str:
    unit_name = unbind(ctx)
    return f"已解除与{unit_name}的绑定。"


@bound_router.message(Command("帮助", "help", "菜单", "?", "？"))
def on_help(ctx: Context) -> str:
    return help_text(ctx)
