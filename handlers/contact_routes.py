"""The contact person's chat tools for running the campaign without a shell.

``邀请码`` (every unit's code and an invitation to forward), ``邀请码 <单位>`` (one unit's
invitation), ``联络员`` (who is bound where), and ``通知 全部|未报 <文字>``: an ad-hoc notice that
goes out through the outbox only after the contact person answers ``确认`` — a notice to 26 units
cannot be taken back, so a typo must not be one message away from everyone's phone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from handlers import dialog
from handlers.binding import invite_code, write_audit
from handlers.deps import Deps
from handlers.dialog import InState, State, States
from handlers.inbound import TEXTUAL
from handlers.router import Admin, Command, Context, MsgType, Router
from scheduler.audiences import Resolved, resolve
from scheduler.firing import queue
from scheduler.plan import AdHocPush, Audience
from storage.models import ChannelKind, Liaison, Role, Unit
from storage.wording import clip

router = Router("contact")
router.filter(Admin)

CONFIRM_WORDS = ("确认", "确定", "确认发送", "发送")
# Long enough to read the preview again, short enough that a stale "确认" sends nothing.
CONFIRM_MINUTES = 5
NOTICE_AUDIENCES = {"全部": Audience.ALL_LIAISONS, "未报": Audience.SILENT_UNITS_TODAY}


class NoticeQuestions(States):
    """A notice to many is sent only once the contact confirms it (the question quotes the notice)."""

    confirm_notice = State()


NOTICE_USAGE = "发送通知：“通知 全部 文字”发给所有联络员，“通知 未报 文字”只发给今天还没报送的单位。"
# Keyed by str: looked up with a stored channel, shown as it is when this version does not know it.
CHANNEL_LABELS: dict[str, str] = {ChannelKind.WECOM: "企业微信", ChannelKind.MP: "公众号"}


def unit_code(deps: Deps, unit_name: str) -> str:
    return invite_code(deps.invite_secret, f"unit:{unit_name}")


def invitation(deps: Deps, unit_name: str) -> str:
    """The text the contact person forwards to a unit's liaison."""
    return (
        f"【{deps.campaign.name}报送邀请】{unit_name}联络员您好：请在企业微信打开“{deps.campaign.name}报送助手”"
        f"（或关注公众号），发送“绑定 {unit_code(deps, unit_name)}”完成绑定，之后直接发文字和图片报送活动。"
        f"如有问题请联系{deps.contact.name} {deps.contact.phone}。"
    )


@router.message(Command("邀请码", "邀请"))
def on_invite_codes(ctx: Context) -> str:
    deps, wanted = ctx.deps, ctx.args
    if wanted:
        name = deps.directory.canonical(wanted)
        if name is None:
            return f"没有找到单位“{wanted}”，请写单位全称或常用简称，例如“邀请码 市商务局”。"
        return f"{name}的邀请码：{unit_code(deps, name)}\n可直接转发：\n{invitation(deps, name)}"
    lines = ["各单位邀请码（联络员发送“绑定 邀请码”即可绑定）："]
    lines += [f"{unit.name}：{unit_code(deps, unit.name)}" for unit in deps.units]
    lines.append("发“邀请码 单位名”得到可直接转发的邀请文字。")
    return clip("\n".join(lines))


@router.message(Command("联络员", "绑定情况"))
def on_liaisons(ctx: Context) -> str:
    rows = ctx.session.exec(
        select(Liaison, Unit).join(Unit).where(Liaison.role != Role.UNBOUND).order_by(col(Liaison.bound_at))
    ).all()
    by_unit: dict[str, list[str]] = {}
    for liaison, unit in rows:
        label = liaison.name or liaison.user_id
        role = "（联系人）" if liaison.role == Role.ADMIN else ""
        channel = CHANNEL_LABELS.get(liaison.channel, liaison.channel)
        by_unit.setdefault(unit.name, []).append(f"{label}{role}·{channel}")
    bound = [f"{unit.name}：{'、'.join(by_unit[unit.name])}" for unit in ctx.deps.units if unit.name in by_unit]
    missing = [unit.name for unit in ctx.deps.units if unit.name not in by_unit]
    lines = [f"已绑定{len(bound)}个单位：", *bound]
    if missing:
        lines.append(f"未绑定（{len(missing)}个）：{'、'.join(missing)}\n发“邀请码 单位名”取得邀请文字转发给对方。")
    return clip("\n".join(lines))


def notice_audience(session: Session, deps: Deps, who: str, now: datetime) -> Resolved:
    """Who a notice to ``who`` (全部 | 未报) would reach now; the chat and the desk preview it alike."""
    return resolve(session, NOTICE_AUDIENCES[who], now.date(), deps.units, deps.contact)


def reached_units(resolved: Resolved) -> int:
    return len(resolved.units) - len(resolved.unreached)


def send_notice(session: Session, deps: Deps, who: str, text: str, key: str, actor: str, now: datetime) -> int:
    """Queue a confirmed notice through the outbox and audit it; returns how many people it goes to.

    ``key`` names this one notice (the confirming message, the desk's confirmation form): a retried
    confirmation queues nothing twice.
    """
    resolved = notice_audience(session, deps, who, now)
    queue(
        session,
        key=f"notice:{key}",
        kind=AdHocPush.NOTICE,
        recipients=resolved.recipients,
        text=f"【{deps.contact.name}通知】{text}",
        now=now,
        not_after=_end_of_tomorrow(now),
    )
    recipients = len(resolved.recipients)
    write_audit(session, now, actor, "notice", who, text=text, recipients=recipients, units=list(resolved.units))
    return recipients


@router.message(Command("通知"))
def on_notice(ctx: Context) -> str:
    parts = ctx.args.split(maxsplit=1)
    if len(parts) != 2 or parts[0] not in NOTICE_AUDIENCES:
        return NOTICE_USAGE
    who, text = parts
    resolved = notice_audience(ctx.session, ctx.deps, who, ctx.now)
    if not resolved.recipients:
        return "没有可以发送的对象（相关单位都还没有联络员绑定）。"
    question = (
        f"将发送给{reached_units(resolved)}个单位的{len(resolved.recipients)}位联络员：\n"
        f"{text}\n{CONFIRM_MINUTES}分钟内回复“确认”发送，回复其他内容取消。"
    )
    reply = dialog.ask(ctx, NoticeQuestions.confirm_notice, question, audience=who, text=text)
    # A notice waits minutes, not the hour a report's question waits.
    state = dialog.open_state(ctx)
    state.expires_at = ctx.now + timedelta(minutes=CONFIRM_MINUTES)
    return reply


@router.message(MsgType(*TEXTUAL), InState(NoticeQuestions.confirm_notice))
def on_notice_answer(ctx: Context) -> str:
    state = dialog.open_state(ctx)
    dialog.clear(ctx)
    if ctx.msg.text.strip(" 。.！!") not in CONFIRM_WORDS:
        return "已取消，通知没有发送。"
    who, text = state.data["audience"], state.data["text"]
    sent = send_notice(ctx.session, ctx.deps, who, text, ctx.msg.dedupe_key, ctx.actor, ctx.now)
    return f"通知已排队发送给{sent}位联络员，马上发出。"


def _end_of_tomorrow(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=2), datetime.min.time(), now.tzinfo)
