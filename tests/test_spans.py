"""A multi-day activity (4月22日至24日) is one record end to end: through the encrypted webhook into
the reply, the desk's grid, the ledger, the Word draft and the silent-unit nudges; and 改 日期 and
the desk's edit form set or refuse a span."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlmodel import select

from bot.dashboard import queries
from bot.exports import build_export
from scheduler.audiences import resolve
from scheduler.clock import TZ
from scheduler.plan import Audience
from storage.models import Activity, AuditLog
from tests.desk_fixtures import CONTACT, DeskClient, unit_id
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

UNIT, LIAISON = "市商务局", "wang"
QUIET, QUIET_LIAISON = "朝阳海关", "li"
FRIDAY = datetime(2026, 4, 24, 18, 0, tzinfo=TZ)
SPAN = [date(2026, 4, 22), date(2026, 4, 23), date(2026, 4, 24)]


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(make_settings(tmp_path)) as harness:
        await harness.bound(LIAISON, UNIT)
        await harness.bound(QUIET_LIAISON, QUIET)
        harness.clock.advance(FRIDAY - harness.clock.now())
        yield harness


def activities(bot: Harness) -> list[Activity]:
    return [a for a in bot.rows(Activity) if a.status == "active"]


async def test_a_range_report_is_one_record_end_to_end(bot: Harness, tmp_path: Path) -> None:
    reply = await bot.say(LIAISON, "4月22日至24日在新华路商圈摆了咨询台，发放资料600份，咨询90人次")
    assert reply and "4月22日至24日" in reply, reply
    [record] = activities(bot)
    assert (record.date, record.end_date, record.materials, record.consultations) == (SPAN[0], SPAN[-1], 600, 90)

    # The desk's grid marks each day the activity runs, and counts it once.
    settings = bot.runtime.settings
    found = bot.runtime.db.call(lambda s: queries.overview(s, settings, FRIDAY.date()))
    [row] = [u for u in found.units if u.name == UNIT]
    marked = [day for day, n in zip(found.days, row.by_day, strict=True) if n]
    assert marked == SPAN
    assert found.totals.activities == 1 and found.totals.measures["materials"] == 600
    async with DeskClient(bot) as desk:
        await desk.log_in(CONTACT)
        status, page = await desk.get("/dash/")
        assert status == 200
        unit = unit_id(bot, UNIT)
        for day in SPAN:
            assert f"unit={unit}&amp;date={day.isoformat()}" in page, day
        status, page = await desk.get(f"/dash/activities?unit={unit}&date=2026-04-23")
        assert status == 200 and "4月22日至24日" in page

    # The ledger has one row, its date the span; the Word draft counts one activity.
    ledger = await build_export(bot.runtime.export_source(), "xlsx", tmp_path / "ledger.xlsx")
    sheet = openpyxl.load_workbook(ledger)["活动台账"]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert [(r[1], r[2], r[5]) for r in rows] == [(UNIT, "4月22日至24日", 600)]
    draft = await build_export(bot.runtime.export_source(), "docx", tmp_path / "draft.docx")
    texts = [p.text for p in docx.Document(str(draft)).paragraphs]
    overview = texts[texts.index("一、总体情况") + 1]
    assert "累计开展活动1场" in overview, overview
    assert any("4月22日至24日" in text for text in texts)

    # No silent-unit nudge for the unit on a day inside the span; the quiet unit gets one.
    for day in SPAN:
        silent = bot.runtime.db.call(
            lambda s, day=day: resolve(s, Audience.SILENT_UNITS_TODAY, day, settings.units, settings.contact)
        )
        assert UNIT not in silent.units and QUIET in silent.units, day
    day_after = SPAN[-1] + timedelta(days=1)
    silent = bot.runtime.db.call(
        lambda s: resolve(s, Audience.SILENT_UNITS_TODAY, day_after, settings.units, settings.contact)
    )
    assert UNIT in silent.units


async def test_a_list_of_days_stays_a_record_a_day(bot: Harness) -> None:
    await bot.say(LIAISON, "22、23号在新华路商圈各办了一场讲座，参加80人")
    assert [(a.date, a.end_date) for a in activities(bot)] == [(SPAN[0], None), (SPAN[1], None)]


async def test_a_correction_sets_and_clears_a_span_and_refuses_a_backward_one(bot: Harness) -> None:
    await bot.say(LIAISON, "4月22日在新华路商圈发放资料300份")
    reply = await bot.say(LIAISON, "改 日期 22日至24日")
    assert reply and "4月22日至24日" in reply, reply
    [record] = activities(bot)
    assert (record.date, record.end_date) == (SPAN[0], SPAN[-1])
    reply = await bot.say(LIAISON, "改 日期 24日至22日")
    assert reply and "早于" in reply, reply
    assert activities(bot) == [record]
    reply = await bot.say(LIAISON, "改 日期 4月23日")
    assert reply and "4月23日（周四）" in reply, reply
    [record] = activities(bot)
    assert (record.date, record.end_date) == (SPAN[1], None)
    details = bot.runtime.db.call(
        lambda s: [row.detail for row in s.exec(select(AuditLog).where(AuditLog.action == "activity.update"))]
    )
    assert [(d["before"], d["after"]) for d in details] == [
        ("4月22日（周三）", "4月22日至24日"),
        ("4月22日至24日", "4月23日（周四）"),
    ]


async def test_the_desk_edit_form_sets_a_span_and_refuses_one_that_ends_first(bot: Harness) -> None:
    await bot.say(LIAISON, "4月22日在新华路商圈发放资料300份")
    [record] = activities(bot)
    async with DeskClient(bot) as desk:
        await desk.log_in(CONTACT)
        path = f"/dash/activities/{record.id}"
        csrf = await desk.csrf(path)
        form = {"csrf": csrf, "date": "2026-04-22", "type": record.type, "location": record.location or ""}
        form.update({field: str(getattr(record, field) or "") for field in ("materials", "consultations")})
        form.update({"participants": "", "enterprises": "", "articles": ""})
        status, page = await desk.post(f"{path}/edit", {**form, "end_date": "2026-04-21"})
        assert status == 400 and "结束日期不能早于开始日期" in page
        assert activities(bot) == [record]
        status, _ = await desk.post(f"{path}/edit", {**form, "end_date": "2026-04-24"})
        assert status == 303
        [edited] = activities(bot)
        assert (edited.date, edited.end_date) == (SPAN[0], SPAN[-1])
        status, page = await desk.get(path)
        assert status == 200 and "4月22日至24日" in page and 'value="2026-04-24"' in page
        status, _ = await desk.post(f"{path}/edit", {**form, "end_date": ""})
        assert status == 303
        assert activities(bot)[0].end_date is None
