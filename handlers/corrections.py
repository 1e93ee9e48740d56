"""Looking at and fixing what was recorded: 我的, 撤回, 改."""

from __future__ import annotations

import re
from typing import Any

from handlers.binding import audit
from handlers.parsing.dates import find_dates
from handlers.parsing.normalize import normalize
from handlers.parsing.numerals import NUMBER, to_int
from handlers.records import last_record, number_of, record_number, unit_records
from handlers.router import Bound, Command, Context, Router
from handlers.wording import FIELD_WORDS, type_from_words
from storage.models import Activity
from storage.wording import say_activity, say_date

router = Router("corrections")

# A chat reply holds about ten records within WeChat's 2048-byte limit; the desk (后台) shows all.
MAX_LISTED = 10
APPROXIMATE = re.compile(r"[约近余多来左右]")
FIELD_ALTERNATIVES = "|".join(sorted(FIELD_WORDS, key=len, reverse=True))
CORRECTION = re.compile(rf"^(?:(\d+)\s*)?({FIELD_ALTERNATIVES})\s*[:：为是]?\s*(.+)$")
USAGE = (
    "更正格式：“改 人数 500”（最近一条）或“改 2 地点 新华路商圈”（第2条）。"
    "可改：日期、类型、地点、资料、咨询、人数、企业、稿件。"
)


@router.message(Command("我的", "我的记录", "记录"), Bound)
def on_mine(ctx: Context) -> str:
    assert ctx.unit is not None
    records = unit_records(ctx)
    if not records:
        return f"{ctx.unit.name}还没有报送记录。直接发文字即可报送。"
    shown = records[-MAX_LISTED:]
    first = len(records) - len(shown) + 1
    lines = [
        f"{ctx.unit.name}已报送{len(records)}条"
        + ("：" if len(shown) == len(records) else f"，以下是最近{len(shown)}条（全部请发“后台”查看）：")
    ]
    lines += [f"{n}. {say_activity(a)}" for n, a in enumerate(shown, first)]
    lines.append("更正发“改 序号 字段 新值”（如“改 2 人数 300”），撤回发“撤回 序号”。")
    return "\n".join(lines)


def _target(ctx: Context, number: str | None) -> Activity | str:
    if number:
        found = record_number(ctx, int(number))
        return found if found is not None else f"没有第{number}条记录，发“我的”查看序号。"
    found = last_record(ctx)
    return found if found is not None else "还没有可以更正的记录。"


@router.message(Command("撤回", "撤销", "删除"), Bound)
def on_withdraw(ctx: Context) -> str:
    args = ctx.data["args"]
    if args and not args.isdigit():
        return "撤回最近一条发“撤回”，撤回某一条发“撤回 序号”。"
    record = _target(ctx, args or None)
    if isinstance(record, str):
        return record
    number = number_of(ctx, record)
    record.status, record.updated_at = "withdrawn", ctx.now
    ctx.session.add(record)
    audit(ctx, "activity.withdraw", f"activity:{record.id}")
    return f"已撤回第{number}条：{say_activity(record)}"


@router.message(Command("改", "更正", "修改"), Bound)
def on_correct(ctx: Context) -> str:
    match = CORRECTION.match(ctx.data["args"])
    if match is None:
        return USAGE
    number, word, raw_value = match.groups()
    record = _target(ctx, number)
    if isinstance(record, str):
        return record
    field = FIELD_WORDS[word]
    value = parse_field_value(field, raw_value.strip(), ctx)
    if value is None:
        return f"没看懂“{raw_value}”，请重新发送，例如“改 {word} {_example(field)}”。"
    before = getattr(record, field)
    apply_field(record, field, value, raw_value)
    record.updated_at = ctx.now
    ctx.session.add(record)
    audit(ctx, "activity.update", f"activity:{record.id}", field=field, before=_plain(before), after=_plain(value))
    return f"已更正第{number_of(ctx, record)}条：{say_activity(record)}"


def parse_field_value(field: str, text: str, ctx: Context) -> Any:
    if field == "location":
        return text.removeprefix("在") or None
    if field == "type":
        return type_from_words(text)
    if field == "date":
        mentions = find_dates(normalize(text), ctx.now.date())
        return mentions[0].days[0] if mentions else None
    token = re.search(NUMBER, normalize(text))
    return to_int(token.group(0)) if token else None


def apply_field(record: Activity, field: str, value: Any, raw: str) -> None:
    setattr(record, field, value)
    if field in ("date", "type", "location"):
        return
    approximate = dict(record.approximate)
    if APPROXIMATE.search(raw):
        approximate[field] = True
    else:
        approximate.pop(field, None)
    record.approximate = approximate


def _example(field: str) -> str:
    return {"date": "4月22日", "type": "培训", "location": "新华路商圈"}.get(field, "300")


def _plain(value: Any) -> Any:
    return say_date(value) if hasattr(value, "isoformat") else value
