"""Campaign chat: ceremony RSVPs and check-in, summary hand-in, and the contact person's commands.

Liaisons: ``参会 王磊 13900001111`` (or any text the parser reads as an RSVP) registers attendees;
``签到`` on the ceremony day, or a location message near the venue, checks in; "总结已发送"
marks the unit's summary in. The contact person (admin): 进度, 未报, 提醒 <单位>, 汇总, 参会,
总结, 已交 <单位>. Included before the report routes, so these never read as activity reports.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from sqlmodel import select

from handlers.binding import audit
from handlers.cards import settle_open
from handlers.inbound import TEXTUAL, MessageKind
from handlers.parsing.model import Intent
from handlers.reports import read_message, reporting_unit
from handlers.router import Admin, Command, Context, Filter, FilterResult, Found, MsgType, Router, required
from scheduler import push_texts
from scheduler.audiences import unit_recipients
from scheduler.calendar import CampaignCalendar
from scheduler.cards import SUMMARY_SENT, CardKind, RsvpAnswer
from scheduler.clock import TZ
from scheduler.digest import DigestWriter
from scheduler.firing import queue
from scheduler.plan import AdHocPush
from storage.campaign_status import attendees_by_unit, check_in, mark_summary, register_attendees
from storage.models import Unit, Via
from storage.wording import say_date

router = Router("campaign")  # liaisons (the dispatcher guards it with Bound)
admin_router = Router("campaign-admin")
admin_router.filter(Admin)

EARTH_RADIUS_M = 6_371_000


def ReadAs(*intents: Intent) -> Filter:  # noqa: N802  (named like the router's filters)
    """Text the parser reads as one of ``intents`` (the reading is kept as ``ctx.reading``)."""

    def check(ctx: Context) -> FilterResult:
        if ctx.msg.msg_type not in TEXTUAL:
            return False
        reading = read_message(ctx)
        return Found(reading=reading) if reading.intent in intents else False

    return check


def _no_args(ctx: Context) -> FilterResult:
    return not ctx.args


def _named_unit(ctx: Context) -> Unit | None:
    name = ctx.deps.directory.canonical(ctx.args)
    return ctx.session.exec(select(Unit).where(Unit.name == name)).first() if name else None


def _digests(ctx: Context) -> DigestWriter:
    # Chat replies carry text only; the collage goes out with the scheduled digests.
    return DigestWriter(ctx.deps, photos=None)


# ---- the contact person ----


@admin_router.message(Command("进度"))
def on_progress(ctx: Context) -> str:
    return _digests(ctx).progress(ctx.session, ctx.now.date())


@admin_router.message(Command("未报"))
def on_silent(ctx: Context) -> str:
    return _digests(ctx).silent(ctx.session, ctx.now.date())


@admin_router.message(Command("汇总"))
def on_digest(ctx: Context) -> str:
    campaign, today = ctx.deps.campaign, ctx.now.date()
    if today < campaign.week_start:
        return _digests(ctx).roll_call(ctx.session)
    if today > campaign.week_end:
        return _digests(ctx).week_digest(ctx.session, ctx.now).text
    return _digests(ctx).day_digest(ctx.session, today, ctx.now).text


@admin_router.message(Command("参会"), _no_args)
def on_roll_call(ctx: Context) -> str:
    return _digests(ctx).roll_call(ctx.session)


@admin_router.message(Command("总结"), _no_args)
def on_summary_status(ctx: Context) -> str:
    return _digests(ctx).summary_status(ctx.session)


@admin_router.message(Command("已交"))
def on_mark_summary(ctx: Context) -> str:
    unit = _named_unit(ctx)
    if unit is None:
        return "请写明单位，例如“已交 市商务局”。"
    if not mark_summary(ctx.session, unit.id or 0, ctx.actor, "admin", ctx.now):
        return f"{unit.name}的总结已登记过，无需重复。"
    audit(ctx, "summary.mark", unit.name, how=Via.ADMIN)
    return f"已登记：{unit.name}总结已交，不再提醒该单位。"


@admin_router.message(Command("提醒"))
def on_nudge(ctx: Context) -> str:
    unit = _named_unit(ctx)
    if unit is None:
        return "请写明要提醒的单位，例如“提醒 市商务局”。"
    resolved = unit_recipients(ctx.session, [unit.name])
    if not resolved.recipients:
        return f"{unit.name}还没有联络员绑定，无法在线提醒，请电话联系。"
    today = ctx.now.date()
    queue(
        ctx.session,
        key=f"nudge:{ctx.msg.dedupe_key}",
        kind=AdHocPush.MANUAL_NUDGE,
        recipients=resolved.recipients,
        text=_nudge_text(ctx, unit, today),
        now=ctx.now,
        not_after=datetime.combine(today + timedelta(days=1), time(0), TZ),
    )
    audit(ctx, "nudge", unit.name, recipients=len(resolved.recipients))
    return f"已提醒{unit.name}（{len(resolved.recipients)}人），消息马上发出。"


def _nudge_text(ctx: Context, unit: Unit, today: date) -> str:
    """The reminder that fits where the campaign is today."""
    deps = ctx.deps
    if today <= deps.ceremony.at.date():
        if unit.id in attendees_by_unit(ctx.session):
            return push_texts.ceremony_reminder(deps.campaign, deps.ceremony, today)
        return push_texts.rsvp_chase(deps.campaign, deps.ceremony)
    if today <= deps.campaign.week_end:
        return push_texts.report_nudge(today)
    deadline = CampaignCalendar(deps.campaign).summary_deadline()
    return push_texts.summary_reminder(deps.campaign, deps.contact, today, deadline)


# ---- liaisons ----


@router.message(Command("签到"))
def on_check_in(ctx: Context) -> str:
    ceremony_day = ctx.deps.ceremony.at.date()
    if ctx.now.date() != ceremony_day:
        return f"签到只在启动仪式当天（{say_date(ceremony_day)}）开放。"
    name = ctx.args or ctx.bound_liaison.name
    return _check_in(ctx, name, Via.TEXT, None)


def NearVenue(ctx: Context) -> FilterResult:  # noqa: N802
    """A location message on the ceremony day within the configured radius of the venue."""
    ceremony, spot = ctx.deps.ceremony, ctx.msg.location
    if spot is None or ceremony.latitude is None or ceremony.longitude is None:
        return False
    if ctx.now.date() != ceremony.at.date():
        return False
    distance = distance_m(spot.latitude, spot.longitude, ceremony.latitude, ceremony.longitude)
    return Found(distance_m=distance) if distance <= ceremony.checkin_radius_m else False


@router.message(MsgType(MessageKind.LOCATION), NearVenue)
def on_location_check_in(ctx: Context) -> str:
    return _check_in(ctx, ctx.bound_liaison.name, Via.LOCATION, required(ctx.distance_m, "distance_m"))


def _check_in(ctx: Context, name: str, how: Via, distance: float | None) -> str:
    unit = ctx.bound_unit
    done = check_in(
        ctx.session,
        unit_id=unit.id or 0,
        channel=ctx.msg.channel,
        user_id=ctx.msg.user_id,
        name=name,
        how=how,
        now=ctx.now,
        distance_m=distance,
    )
    if not done:
        return "您已签到过了，无需重复。"
    audit(ctx, "ceremony.checkin", unit.name, how=how, name=name)
    who = f"{unit.name}{name and ' ' + name}"
    return f"签到成功：{who}，{push_texts.clock_label(ctx.now)}。欢迎参加启动仪式！"


@router.message(ReadAs(Intent.RSVP))
def on_rsvp(ctx: Context) -> str:
    reading = read_message(ctx)
    unit = reporting_unit(ctx, reading)
    if isinstance(unit, str):
        return unit
    if not reading.attendees:
        return "请回复参会人员姓名和手机号，例如“参会 王磊 13900001111”。"
    return register_rsvp(ctx, unit, [(person.name, person.phone or "") for person in reading.attendees])


def register_rsvp(ctx: Context, unit: Unit, people: list[tuple[str, str]]) -> str:
    """Register the unit's attendees (typed, or named after a 参加 click) and show its RSVP cards as answered."""
    register_attendees(ctx.session, unit.id or 0, people, ctx.actor, ctx.now)
    audit(ctx, "ceremony.rsvp", unit.name, attendees=[name for name, _ in people])
    settle_open(ctx, CardKind.RSVP, RsvpAnswer.YES, RSVP_LABELS[RsvpAnswer.YES])
    listed = "、".join(f"{name}{phone and ' ' + phone}" for name, phone in people)
    ceremony = ctx.deps.ceremony
    return (
        f"已登记{unit.name}参会人员：{listed}。\n"
        f"启动仪式{push_texts.moment_label(ceremony.at)}在{ceremony.place}举行，当天到场后回复“签到”。"
    )


RSVP_LABELS = {RsvpAnswer.YES: "已回复：参加", RsvpAnswer.NO: "已回复：不参加"}
SUMMARY_LABEL = "已回复：已发送总结"


@router.message(ReadAs(Intent.SUMMARY))
def on_summary_sent(ctx: Context) -> str:
    unit = reporting_unit(ctx, read_message(ctx))
    if isinstance(unit, str):
        return unit
    return summary_sent(ctx, unit)


def summary_sent(ctx: Context, unit: Unit) -> str:
    """The liaison says the summary is sent (typed, or the 已发送总结 button)."""
    if mark_summary(ctx.session, unit.id or 0, ctx.actor, "liaison", ctx.now):
        audit(ctx, "summary.mark", unit.name, how=Via.LIAISON)
    settle_open(ctx, CardKind.SUMMARY, SUMMARY_SENT, SUMMARY_LABEL)
    return f"收到，已登记{unit.name}的工作总结已报送，不再提醒。辛苦了！"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; plenty for a 300 m radius)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
