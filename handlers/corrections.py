"""Looking at and fixing what was recorded: 我的, 撤回, 恢复, 改, and corrections said in plain words."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from handlers import dialog
from handlers.binding import audit
from handlers.dialog import InState, State, States
from handlers.inbound import TEXTUAL
from handlers.parsing.dates import find_dates
from handlers.parsing.normalize import normalize
from handlers.parsing.numerals import NUMBER, to_int
from handlers.records import last_record, number_of, numbered_records, record_number
from handlers.reports import read_message
from handlers.router import Command, Context, FilterResult, Found, MsgType, Router, required
from handlers.said_corrections import has_reference, read_correction
from handlers.wording import FIELD_WORDS, type_from_words
from storage.models import Activity, RecordStatus
from storage.wording import say_activity, say_date

router = Router("corrections")

# A chat reply holds about ten records within WeChat's 2048-byte limit; the desk (后台) shows all.
MAX_LISTED = 10
APPROXIMATE = re.compile(r"[约近余多来左右]")
FIELD_ALTERNATIVES = "|".join(sorted(FIELD_WORDS, key=len, reverse=True))
CORRECTION = re.compile(rf"^(?:(\d+)\s*)?({FIELD_ALTERNATIVES})\s*[:：为是]?\s*(.+)$")
# The first word FIELD_WORDS lists for each field names it in questions.
FIELD_LABELS: dict[str, str] = {}
for _word, _field in FIELD_WORDS.items():
    FIELD_LABELS.setdefault(_field, _word)
FIELD_CHOICES = "、".join(FIELD_LABELS.values())


class CorrectionQuestions(States):
    """A correction that said the value but not which field: the field is asked (the question
    names the record and the value, so it is written when asked)."""

    ask_correction_field = State()


USAGE = f"更正格式：“改 人数 500”（最近一条）或“改 2 地点 新华路商圈”（第2条）。可改：{FIELD_CHOICES}。"


@router.message(Command("我的", "我的记录", "记录"))
def on_mine(ctx: Context) -> str:
    records = numbered_records(ctx)
    if not records:
        return f"{ctx.bound_unit.name}还没有报送记录。直接发文字即可报送。"
    shown = records[-MAX_LISTED:]
    lines = [
        f"{ctx.bound_unit.name}已报送{len(records)}条"
        + ("：" if len(shown) == len(records) else f"，以下是最近{len(shown)}条（全部请发“后台”查看）：")
    ]
    lines += [f"{n}. {say_activity(a)}" for n, a in shown]
    lines.append("序号固定不变。更正发“改 序号 字段 新值”（如“改 2 人数 300”），撤回发“撤回 序号”。")
    return "\n".join(lines)


def _target(ctx: Context, number: str | None) -> Activity | str:
    if number:
        if not number.isdecimal():
            return "序号请写数字，发“我的”查看序号。"
        found = record_number(ctx, int(number))
        return found if found is not None else f"没有第{number}条记录，发“我的”查看序号。"
    found = last_record(ctx)
    return found if found is not None else "还没有可以更正的记录。"


@router.message(Command("撤回", "撤销", "删除"))
def on_withdraw(ctx: Context) -> str:
    args = ctx.args
    if args and not args.isdecimal():
        return "撤回最近一条发“撤回”，撤回某一条发“撤回 序号”。"
    record = _target(ctx, args or None)
    if isinstance(record, str):
        return record
    record.status, record.updated_at = RecordStatus.WITHDRAWN, ctx.now
    ctx.session.add(record)
    audit(ctx, "activity.withdraw", f"activity:{record.id}")
    number = number_of(ctx, record)
    return f"已撤回第{number}条：{say_activity(record)}\n撤回错了可发“恢复 {number}”。"


@router.message(Command("恢复", "取消撤回"))
def on_restore(ctx: Context) -> str:
    args = ctx.args
    if args.isdecimal():
        record = record_number(ctx, int(args), status=RecordStatus.WITHDRAWN)
        if record is None:
            return f"第{args}条没有被撤回，无需恢复。发“我的”查看记录。"
    else:
        withdrawn = numbered_records(ctx, status=RecordStatus.WITHDRAWN)
        if not withdrawn:
            return "没有撤回过的记录。"
        record = max((a for _, a in withdrawn), key=lambda a: (a.updated_at, a.id or 0))
    record.status, record.updated_at = RecordStatus.ACTIVE, ctx.now
    ctx.session.add(record)
    audit(ctx, "activity.restore", f"activity:{record.id}")
    return f"已恢复第{number_of(ctx, record)}条：{say_activity(record)}"


@router.message(Command("改", "更正", "修改"))
def on_correct(ctx: Context) -> str:
    match = CORRECTION.match(ctx.args)
    if match is None:
        return USAGE
    number, word, raw_value = match.groups()
    record = _target(ctx, number)
    if isinstance(record, str):
        return record
    return _correct(ctx, record, FIELD_WORDS[word], raw_value.strip(), word)


def SaidCorrectionOf(ctx: Context) -> FilterResult:  # noqa: N802  (named like the router's filters)
    """A correction said in plain words. A message the parser reads as a report stays a report
    unless it points at a record ("今天在不对外开放的展厅…" is not a correction)."""
    if ctx.msg.msg_type not in TEXTUAL or not ctx.msg.text:
        return False
    said = read_correction(ctx.msg.text, ctx.now.date())
    if said is None or (read_message(ctx).intent == "report" and not has_reference(ctx.msg.text)):
        return False
    return Found(said=said)


@router.message(SaidCorrectionOf)
def on_said_correction(ctx: Context) -> str:
    said = required(ctx.said, "said")
    record = _target(ctx, str(said.number) if said.number is not None else None)
    if isinstance(record, str):
        return record
    number = number_of(ctx, record)
    if said.field is None and said.value_text:
        question = f"第{number}条（{say_activity(record)}）要把哪一项改成“{said.value_text}”？回复：{FIELD_CHOICES}。"
        return dialog.ask(
            ctx, CorrectionQuestions.ask_correction_field, question, activity_id=record.id, value=said.value_text
        )
    if said.field is None or not said.value_text:
        field_word = FIELD_LABELS.get(said.field or "", "哪一项")
        return f"第{number}条的{field_word}应该改成什么？例如“人数应该是350人”，或发“改 {number} 人数 350”。"
    return _correct(ctx, record, said.field, said.value_text, FIELD_LABELS[said.field])


def NamesAField(ctx: Context) -> FilterResult:  # noqa: N802
    """The whole answer is a field's name (“人数”, “是咨询的”)."""
    word = ctx.msg.text.strip(" 。.！!").removeprefix("是").removesuffix("的")
    return Found(field=FIELD_WORDS[word]) if word in FIELD_WORDS else False


@router.message(MsgType(*TEXTUAL), InState(CorrectionQuestions.ask_correction_field), NamesAField)
def on_field_answer(ctx: Context) -> str:
    state = dialog.open_state(ctx)
    dialog.clear(ctx)
    record = ctx.session.get(Activity, state.data.get("activity_id"))
    if record is None or record.status != RecordStatus.ACTIVE:
        return "这条记录已撤回，没有更正。"
    field = required(ctx.field, "field")
    return _correct(ctx, record, field, str(state.data.get("value", "")), FIELD_LABELS[field])


def _correct(ctx: Context, record: Activity, field: str, raw_value: str, word: str) -> str:
    """Set one field of ``record`` from what the sender said; the reply restates the record."""
    value = parse_field_value(field, raw_value, ctx)
    if value is None:
        return f"没看懂“{raw_value}”，请重新发送，例如“改 {word} {_example(field)}”。"
    if value is BACKWARD_SPAN:
        return f"“{raw_value}”的结束日期早于开始日期（或跨度超过7天），没有更正。例如“改 {word} 22日至24日”。"
    before = (record.date, record.last_day) if field == "date" else getattr(record, field)
    apply_field(record, field, value, raw_value)
    record.updated_at = ctx.now
    ctx.session.add(record)
    audit(ctx, "activity.update", f"activity:{record.id}", field=field, before=_plain(before), after=_plain(value))
    return f"已更正第{number_of(ctx, record)}条：{say_activity(record)}"


def parse_field_value(field: str, text: str, ctx: Context) -> Any:
    if field == "location":
        return text.removeprefix("在").strip() or None
    if field == "type":
        return type_from_words(text)
    if field == "date":
        return _day_span(normalize(text), ctx.now.date())
    token = re.search(NUMBER, normalize(text))
    return to_int(token.group(0)) if token else None


# The value of a date written as a range that runs backwards (24日至22日): refused, not guessed.
BACKWARD_SPAN = (dt.date.max, dt.date.min)
# 至/到 anywhere, a dash after a day ("4-22" is one date, "24日-22日" a range).
_RANGE_WORD = re.compile(r"至|到|[日号]\s*[—－\-~～–]")


def _day_span(text: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day written: "4月22日" one day, "22日至24日" a span (a list, 22、23号,
    takes its first day: one record is one activity)."""
    mentions = find_dates(text, today)
    if not mentions:
        return None
    first = mentions[0]
    if first.span:
        return first.days[0], first.days[-1]
    if _RANGE_WORD.search(text, first.start, first.end):
        return BACKWARD_SPAN
    return first.days[0], first.days[0]


def apply_field(record: Activity, field: str, value: Any, raw: str) -> None:
    if field == "date":
        record.date, last = value
        record.end_date = last if last > record.date else None  # None: one day
        return
    setattr(record, field, value)
    if field in ("type", "location"):
        return
    approximate = dict(record.approximate)
    if APPROXIMATE.search(raw):
        approximate[field] = True
    else:
        approximate.pop(field, None)
    record.approximate = approximate


def _example(field: str) -> str:
    return {"date": "4月22日或22日至24日", "type": "培训", "location": "新华路商圈"}.get(field, "300")


def _plain(value: Any) -> Any:
    return say_date(*value) if isinstance(value, tuple) else value  # a date: (first day, last day)
