"""Routes for bound senders' reports: text and voice, answers to a question, location and link
messages. A report missing its type or place gets one short question; the answer completes it."""

from __future__ import annotations

from datetime import timedelta

from handlers import dialog
from handlers.binding import audit
from handlers.cards import push_card, settle_open
from handlers.dialog import InState, State, States
from handlers.inbound import TEXTUAL, MessageKind
from handlers.parsing import COUNT_FIELDS, Reading
from handlers.prereading import too_long
from handlers.records import open_record
from handlers.reports import outside_week_note, read_message, record_activities, recorded_reply, reporting_unit
from handlers.router import Context, MsgType, Router, required
from handlers.wording import type_from_words
from scheduler.cards import CardKind, activity_type_card
from storage.models import Activity, RecordStatus, Via
from storage.vocabulary import ActivityType, as_type
from storage.wording import say_activity

router = Router("reports")

NOT_A_REPORT = (
    "收到。如需报送活动，请写明时间、地点、活动内容和人数，"
    "例如“今天在新华路商圈集中宣传，发放资料200份”。发“帮助”查看用法。"
)
ASK_TYPE = "请问这是哪类活动？回复：" + " / ".join(kind.label for kind in ActivityType if kind.terms.asked) + "。"
ASK_LOCATION = "请问活动在什么地点？直接回复地点（如“新华路商圈”），也可以发送位置；不需要请回复“无”。"


class ReportQuestions(States):
    """What a report missing its type or place is asked."""

    ask_type = State(question=ASK_TYPE)
    ask_location = State(question=ASK_LOCATION)


SKIP_WORDS = ("无", "没有", "不用", "跳过", "算了", "不需要")


def report(ctx: Context, reading: Reading) -> str:
    unit = reporting_unit(ctx, reading)
    if isinstance(unit, str):
        return unit
    records = record_activities(ctx, unit, reading.activities)
    notes = reading.notes + tuple(filter(None, [outside_week_note(ctx, records)]))
    reply = recorded_reply(unit, records, notes)
    question = follow_up(ctx, records, reading)
    return f"{reply}\n{question}" if question else reply


def follow_up(ctx: Context, records: list[Activity], reading: Reading) -> str | None:
    """One short question for the first missing fact of a single-record report."""
    if len(records) != 1:
        return None
    record, parsed = records[0], reading.activities[0]
    if not parsed.type_stated:
        question = dialog.ask(ctx, ReportQuestions.ask_type, activity_id=record.id)
        # WeCom: the types as buttons too (a passive reply cannot be a card, so it is pushed).
        until = ctx.now + timedelta(minutes=ctx.deps.question_timeout_minutes)
        push_card(
            ctx, f"type-card:{ctx.msg.dedupe_key}", activity_type_card(say_activity(record)), ASK_TYPE, until,
            activity_id=record.id,
        )  # fmt: skip
        return question
    if record.location is None and _has_place(record.type):
        return dialog.ask(ctx, ReportQuestions.ask_location, activity_id=record.id)
    return None


def is_new_report(reading: Reading) -> bool:
    """A message that reports something on its own, not a one-word answer like “培训”."""
    return reading.intent == "report" and any(
        a.type_stated and (a.date_stated or a.location or any(getattr(a, f) is not None for f in COUNT_FIELDS))
        for a in reading.activities
    )


TOO_LONG = (
    "这条消息太长，没法自动识别，已原样保存，联系人可以在后台单位页查看原文。"
    "请分几条简短报送，一条消息写一项活动，例如“今天在新华路商圈集中宣传，发放资料200份”。"
)


@router.message(MsgType(*TEXTUAL), lambda ctx: too_long(ctx.deps, ctx.msg))
def on_too_long(ctx: Context) -> str:
    return TOO_LONG


@router.message(MsgType(*TEXTUAL), InState(ReportQuestions.ask_type, ReportQuestions.ask_location))
def on_answer(ctx: Context) -> str:
    reading = read_message(ctx)
    state = dialog.open_state(ctx)
    if is_new_report(reading) or not ctx.msg.text:
        dialog.clear(ctx)
        return report(ctx, reading) if reading.activities else NOT_A_REPORT
    record = ctx.session.get(Activity, state.data.get("activity_id"))
    dialog.clear(ctx)
    if record is None or record.status != RecordStatus.ACTIVE:
        return NOT_A_REPORT
    answer = ctx.msg.text.strip("。.！!")
    if answer in SKIP_WORDS:
        return f"好的。已记录：{say_activity(record)}"
    if ReportQuestions.ask_type.holds(state):
        kind = type_from_words(answer)
        if kind is None:
            return dialog.ask(ctx, ReportQuestions.ask_type, "没看懂活动类型。" + ASK_TYPE, activity_id=record.id)
        return answer_type(ctx, record, kind)
    _update(ctx, record, "location", answer.removeprefix("在"))
    return f"已补充：{say_activity(record)}"


def answer_type(ctx: Context, record: Activity, kind: ActivityType) -> str:
    """The answer to “what kind of activity?” (typed, or a button of the type card): record it,
    show the card as answered, and ask for the place if that is missing too."""
    _update(ctx, record, "type", kind)
    settle_open(ctx, CardKind.ACTIVITY_TYPE, kind, f"已选择：{kind.label}", activity_id=record.id)
    if record.location is None and kind.terms.has_place:
        question = f"好的，{kind.label}。" + ASK_LOCATION
        return dialog.ask(ctx, ReportQuestions.ask_location, question, activity_id=record.id)
    return f"已补充：{say_activity(record)}"


def _has_place(key: str) -> bool:
    kind = as_type(key)
    return kind is None or kind.terms.has_place


def _update(ctx: Context, record: Activity, field: str, value: str) -> None:
    before = getattr(record, field)
    setattr(record, field, value)
    record.updated_at = ctx.now
    ctx.session.add(record)
    audit(ctx, "activity.update", f"activity:{record.id}", field=field, before=before, after=value, how=Via.ANSWER)


@router.message(MsgType(MessageKind.VOICE), lambda ctx: not ctx.msg.text)
def on_unrecognised_voice(ctx: Context) -> str:
    return "没能识别这条语音，请改发文字。"


@router.message(MsgType(*TEXTUAL))
def on_text(ctx: Context) -> str:
    reading = read_message(ctx)
    if reading.intent != "report" or not reading.activities:
        return NOT_A_REPORT
    dialog.clear(ctx)
    return report(ctx, reading)


@router.message(MsgType(MessageKind.LOCATION))
def on_location(ctx: Context) -> str:
    spot = required(ctx.msg.location, "the location (route not behind MsgType(LOCATION))")
    state = dialog.current(ctx)
    record = None
    if ReportQuestions.ask_location.holds(state):
        record = ctx.session.get(Activity, state.data.get("activity_id"))
        dialog.clear(ctx)
    record = record or open_record(ctx)
    if record is None:
        return "位置已收到，但没有找到最近的报送记录。请先发文字报送活动，再发送位置。"
    place = spot.label or f"{spot.latitude:.5f},{spot.longitude:.5f}"
    _update(ctx, record, "location", place)
    return f"已补充地点：{say_activity(record)}"


@router.message(MsgType(MessageKind.LINK))
def on_link(ctx: Context) -> str:
    """A shared article is media coverage of the unit's work."""
    link = required(ctx.msg.link, "the link (route not behind MsgType(LINK))")
    record = Activity(
        unit_id=ctx.bound_unit.id or 0,
        liaison_id=ctx.liaison.id if ctx.liaison else None,
        message_id=ctx.message_id,
        date=ctx.now.date(),
        type=ActivityType.MEDIA,
        location=None,
        articles=1,
        text=f"{link.title} {link.url}".strip(),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(record)
    ctx.session.flush()
    audit(ctx, "activity.create", f"activity:{record.id}", unit=ctx.bound_unit.name, how=Via.LINK)
    return f"已记录媒体宣传：《{link.title}》\n{say_activity(record)}\n如需撤回请发“撤回”。"
