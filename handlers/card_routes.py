"""Clicks on template cards (WeCom ``template_card_event``) and the short dialog a 参加 click opens.

A click means what the typed answer means and goes through the same code: 参加 asks only for
who attends (offering the liaison's own name), 不参加 records the decline, 待定 records nothing;
a type button completes the report as the typed type does; 已发送总结 is “总结已发送”. A click
on a card past its life, or on a question no longer open, gets a polite text instead.
"""

from __future__ import annotations

from handlers import dialog
from handlers.binding import audit
from handlers.campaign_routes import RSVP_LABELS, register_rsvp, summary_sent
from handlers.cards import settle
from handlers.dialog import InState, State, States
from handlers.inbound import MessageKind
from handlers.parsing.attendees import extract_attendees
from handlers.report_routes import ReportQuestions, answer_type
from handlers.router import Context, MsgType, NotHandled, Router, required
from scheduler.cards import SUMMARY_SENT, CardKind, RsvpAnswer, parse_key
from storage.campaign_status import attendees_by_unit, decline_ceremony
from storage.cards import CardTask, keep_response_code
from storage.models import Activity, RecordStatus
from storage.vocabulary import as_type

router = Router("cards")  # clicks: answered for anyone (a stranger's click is told the card expired)
bound_router = Router("cards.bound")  # typed answers to what a card asked

CARD_EVENT = "template_card_event"
EXPIRED = "这张卡片已过期，操作未生效。请直接回复文字，发“帮助”查看用法。"
ASK_NAMES = "请回复参会人员姓名和手机号，例如“王磊 13900001111”，多人请分别写明。"


class RsvpQuestions(States):
    """Who attends, after a 参加 click."""

    rsvp_names = State(question=ASK_NAMES)


YES_WORDS = ("是", "是的", "对", "对的", "好", "好的", "确认")


def CardClick(ctx: Context) -> bool:  # noqa: N802  (named like the router's filters)
    return ctx.msg.msg_type == MessageKind.EVENT and ctx.msg.event == CARD_EVENT and ctx.msg.card is not None


@router.message(CardClick)
def on_card_click(ctx: Context) -> str:
    card = required(ctx.msg.card, "the card (route not behind CardClick)")
    task = ctx.session.get(CardTask, card.task_id)
    key = parse_key(ctx.msg.event_key)
    if task is None or (task.channel, task.user_id) != (ctx.msg.channel, ctx.msg.user_id) or key is None:
        return EXPIRED
    # The click's code is the newest: the one the card's update must use.
    keep_response_code(ctx.session, task.task_id, card.response_code, ctx.now)
    kind, answer = key
    if kind != task.kind or task.expires_at <= ctx.now or ctx.unit is None:
        return EXPIRED
    audit(ctx, "card.click", ctx.unit.name, task=task.task_id, key=ctx.msg.event_key)
    if kind == CardKind.RSVP:
        return _rsvp_click(ctx, task, answer)
    if kind == CardKind.ACTIVITY_TYPE:
        return _type_click(ctx, task, answer)
    if answer == SUMMARY_SENT:
        return summary_sent(ctx, ctx.unit)
    return EXPIRED


def _rsvp_click(ctx: Context, task: CardTask, answer: str) -> str:
    unit, ceremony = ctx.bound_unit, ctx.deps.ceremony
    if answer == RsvpAnswer.YES:
        settle(ctx, task, answer, RSVP_LABELS[RsvpAnswer.YES])
        liaison = ctx.bound_liaison
        if liaison.name:
            phone = f" {liaison.phone}" if liaison.phone else ""
            question = f"参会人员是{liaison.name}{phone}吗？回复“是”或发送姓名和手机号。"
            return dialog.ask(
                ctx, RsvpQuestions.rsvp_names, question, unit_id=unit.id, name=liaison.name, phone=liaison.phone
            )
        return dialog.ask(ctx, RsvpQuestions.rsvp_names, unit_id=unit.id)
    if answer == RsvpAnswer.NO:
        registered = attendees_by_unit(ctx.session).get(unit.id or 0, [])
        if registered:
            names = "、".join(person.name for person in registered)
            return (
                f"{unit.name}已登记参会人员：{names}。如不再参加，"
                f"请联系{ceremony.contact_name}（{ceremony.contact_phone}）。"
            )
        if decline_ceremony(ctx.session, unit.id or 0, ctx.actor, ctx.now):
            audit(ctx, "ceremony.decline", unit.name)
        settle(ctx, task, answer, RSVP_LABELS[RsvpAnswer.NO])
        return f"已登记：{unit.name}不参加启动仪式，不再催报。如有变化，回复“参会 姓名 手机号”。"
    if answer == RsvpAnswer.MAYBE:
        return "好的，先记为待定。确定后请点“参加”，或回复“参会 姓名 手机号”。"
    return EXPIRED


def _type_click(ctx: Context, task: CardTask, kind: str) -> str:
    state = dialog.current(ctx)
    activity_id = task.data.get("activity_id")
    # The question the card asked must still be the open one: a newer report or an answer ends it.
    if not ReportQuestions.ask_type.holds(state) or state.data.get("activity_id") != activity_id:
        return EXPIRED
    record = ctx.session.get(Activity, activity_id)
    dialog.clear(ctx)
    chosen = as_type(kind)
    if record is None or record.status != RecordStatus.ACTIVE or chosen is None:
        return EXPIRED
    return answer_type(ctx, record, chosen)


@bound_router.message(MsgType(MessageKind.TEXT), InState(RsvpQuestions.rsvp_names))
def on_rsvp_names(ctx: Context) -> str:
    """The answer to the question a 参加 click asked: “是”, or names and phones."""
    state = dialog.open_state(ctx)
    dialog.clear(ctx)
    text = ctx.msg.text.strip("。.！! ")
    if text in YES_WORDS and state.data.get("name"):
        return register_rsvp(ctx, ctx.bound_unit, [(state.data["name"], state.data.get("phone") or "")])
    # A bare "王磊 13900001111、李娜" reads as the list the question asked for.
    people = extract_attendees(f"参会人员：{text}")
    if not people:
        raise NotHandled("not names")  # asked once: the message goes on to the other routes
    return register_rsvp(ctx, ctx.bound_unit, [(person.name, person.phone or "") for person in people])
