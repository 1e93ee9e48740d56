"""Routes for bound senders' free text: reports, and everything the parser does not take as one."""

from __future__ import annotations

from handlers.reports import read_message, record_activities, recorded_reply, reporting_unit
from handlers.router import Context, MsgType, Router

router = Router("reports")

NOT_A_REPORT = (
    "收到。如需报送活动，请写明时间、地点、活动内容和人数，"
    "例如“今天在新华路商圈集中宣传，发放资料200份”。发“帮助”查看用法。"
)


@router.message(MsgType("text", "voice"))
def on_text(ctx: Context) -> str:
    reading = read_message(ctx)
    if reading.intent != "report" or not reading.activities:
        return NOT_A_REPORT
    unit = reporting_unit(ctx, reading)
    if isinstance(unit, str):
        return unit
    records = record_activities(ctx, unit, reading.activities)
    return recorded_reply(unit, records, reading.notes)
