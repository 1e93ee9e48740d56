"""The desk (后台) over HTTP against the real app: edits, merges and withdrawals with their audit
trail, what the contact person reads, the mail button and the downloads."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from handlers.report_routes import TOO_LONG
from storage.photos import Photo
from tests.desk_fixtures import (
    CONTACT,
    OTHER,
    OTHER_LIAISON,
    SEEDED_ACTIVITIES,
    SEEDED_MATERIALS,
    UNIT,
    UNIT_LIAISON,
    DeskClient,
    Inbox,
    audit_of,
    edit_form,
    free_port,
    mailing_to,
    records,
    seeded,
    unit_id,
)
from tests.harness import Harness

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


# ---- changes and their audit trail ----


async def test_edit_changes_the_record_and_audits_who_and_when(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    record = records(bot, OTHER)[0]
    assert record.approximate == {"materials": True}
    bot.clock.advance(timedelta(minutes=7))
    csrf = await desk.csrf(f"/dash/activities/{record.id}")
    form = edit_form(record, csrf, materials=120, location="海关一楼大厅", type="exhibition")
    status, location = await desk.post(f"/dash/activities/{record.id}/edit", form)
    assert status == 303 and location == f"/dash/activities/{record.id}?done=edit"
    edited = records(bot, OTHER)[0]
    assert (edited.materials, edited.location, edited.type) == (120, "海关一楼大厅", "exhibition")
    assert edited.approximate == {} and edited.updated_at == bot.clock.now()
    changes = {row.detail["field"]: row for row in audit_of(bot, record) if row.action == "activity.update"}
    assert set(changes) == {"materials", "location", "type"}
    assert changes["materials"].detail == {"field": "materials", "before": 100, "after": 120, "how": "web"}
    assert {(row.actor, row.at) for row in changes.values()} == {(f"web:wecom:{CONTACT}", bot.clock.now())}
    status, page = await desk.get(f"/dash/activities/{record.id}?done=edit")
    assert "已保存修改" in page and f"web:wecom:{CONTACT}" in page


async def test_an_invalid_edit_changes_nothing(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    record = records(bot, UNIT)[0]
    csrf = await desk.csrf()
    bad_forms = ({"participants": "-5"}, {"materials": "很多"}, {"date": "4月20日"}, {"type": "party"})
    # A NUL or other control character in the place: PostgreSQL refuses NUL in text (was a 500).
    for bad in (*bad_forms, {"location": "海关\x00大厅"}, {"location": "海关\x1b大厅"}, {"materials": "9" * 5000}):
        status, page = await desk.post(f"/dash/activities/{record.id}/edit", edit_form(record, csrf, **bad))
        assert status == 400 and "banner err" in page, bad
    assert records(bot, UNIT)[0] == record
    assert not [row for row in audit_of(bot, record) if row.action == "activity.update"]


async def test_merge_sums_counts_moves_photos_and_withdraws_the_other(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    with_photos, other = records(bot, UNIT)
    moved = [p.id for p in bot.rows(Photo) if p.activity_id == with_photos.id]
    assert len(moved) == 2
    csrf = await desk.csrf()
    status, _ = await desk.post(f"/dash/activities/{other.id}/merge", {"csrf": csrf, "other": str(with_photos.id)})
    assert status == 303
    gone, kept = records(bot, UNIT)
    assert gone.status == "withdrawn" and kept.status == "active"
    assert (kept.materials, kept.consultations, kept.participants) == (200, 40, 80)
    assert kept.location == "商务局会议室"
    assert sorted(p.id for p in bot.rows(Photo) if p.activity_id == kept.id) == sorted(moved)
    [merge] = [row for row in audit_of(bot, kept) if row.action == "activity.merge"]
    [withdraw] = [row for row in audit_of(bot, gone) if row.action == "activity.withdraw"]
    assert merge.detail["merged"] == gone.id and merge.detail["photos_moved"] == 2
    assert withdraw.detail == {"merged_into": kept.id, "how": "web"}
    for row in (merge, withdraw):
        assert (row.actor, row.at) == (f"web:wecom:{CONTACT}", bot.clock.now())
    status, listing = await desk.get(f"/dash/activities?unit={kept.unit_id}")
    assert "共 1 条" in listing


async def test_merge_refuses_records_of_two_units(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    mine, theirs = records(bot, UNIT)[0], records(bot, OTHER)[0]
    csrf = await desk.csrf()
    status, page = await desk.post(f"/dash/activities/{mine.id}/merge", {"csrf": csrf, "other": str(theirs.id)})
    assert status == 400 and "只能合并同一单位的记录" in page
    assert records(bot, UNIT)[0] == mine and records(bot, OTHER)[0] == theirs


async def test_withdraw_takes_the_record_out_of_lists_and_totals(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    record = records(bot, OTHER)[0]
    csrf = await desk.csrf()
    assert (await desk.post(f"/dash/activities/{record.id}/withdraw", {"csrf": csrf}))[0] == 303
    assert records(bot, OTHER)[0].status == "withdrawn"
    [entry] = [row for row in audit_of(bot, record) if row.action == "activity.withdraw"]
    assert (entry.actor, entry.at, entry.detail) == (f"web:wecom:{CONTACT}", bot.clock.now(), {"how": "web"})
    status, page = await desk.post(f"/dash/activities/{record.id}/withdraw", {"csrf": csrf})
    assert status == 400 and "已撤回" in page
    _, listing = await desk.get("/dash/activities")
    assert "海关大厅" not in listing and f"共 {SEEDED_ACTIVITIES - 1} 条" in listing
    _, overview = await desk.get("/dash/")
    assert f"<b>{SEEDED_MATERIALS - 100}</b>" in overview


# ---- what the contact person reads ----


async def test_overview_shows_totals_grid_rsvp_and_summaries(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    status, page = await desk.get("/dash/")
    assert status == 200
    assert f"<b>{SEEDED_ACTIVITIES}</b><span>活动（场）</span>" in page
    assert f"<b>{SEEDED_MATERIALS}</b><span>发放资料（份）</span>" in page
    assert "<b>2/25</b><span>已报单位</span>" in page
    assert "张伟" in page and "已交 4/20" in page and "未报" in page
    assert page.count('<a class="cell yes"') == 2  # two units reported, on one day each


async def test_unit_page_shows_the_units_texts_too_long_to_read(bot: Harness, desk: DeskClient) -> None:
    limit = bot.settings.dialog.max_text_chars
    own_text = ("今天在新华路商圈开展集中宣传，发放资料200份。" * (limit // 20))[:limit] + "<b>完</b>"
    other_text = "海关大厅" * (limit // 4 + 1)
    assert await bot.say(UNIT_LIAISON, own_text) == TOO_LONG and "后台" in TOO_LONG
    assert await bot.say(OTHER_LIAISON, other_text) == TOO_LONG
    await bot.say(UNIT_LIAISON, "在新华路商圈" * (limit // 6))  # exactly the limit: read, not listed
    await desk.log_in(CONTACT)
    status, page = await desk.get(f"/dash/units/{unit_id(bot, UNIT)}")
    assert status == 200 and "未能自动识别的长消息（1）" in page
    assert page.count("<details") == 1 and f"{len(own_text)} 字" in page
    assert own_text.replace("<", "&lt;").replace(">", "&gt;") in page and "<b>完</b>" not in page  # escaped
    assert other_text not in page
    status, page = await desk.get(f"/dash/units/{unit_id(bot, OTHER)}")
    assert status == 200 and "未能自动识别的长消息（1）" in page and other_text in page


async def test_activity_list_filters_by_unit_date_and_type(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    other = unit_id(bot, OTHER)
    cases = {
        f"?unit={other}": (1, "海关大厅"),
        "?type=training": (1, "商务局会议室"),
        "?date=2026-04-20&type=publicity": (2, "新华路商圈"),
        "?date=2026-04-21": (0, None),
    }
    for query, (count, place) in cases.items():
        status, page = await desk.get(f"/dash/activities{query}")
        assert status == 200 and f"共 {count} 条" in page, query
        assert place is None or place in page, query


async def test_failed_pushes_page_lists_them(bot: Harness, desk: DeskClient) -> None:
    await desk.log_in(CONTACT)
    status, page = await desk.get("/dash/pushes")
    assert status == 200 and f"{OTHER} · {OTHER_LIAISON}" in page and "错误码 60020" in page


# ---- mailing the summary ----


async def test_mail_button_sends_the_pack(tmp_path: Path) -> None:
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with seeded(tmp_path, mailing_to(tmp_path, port)) as bot, DeskClient(bot) as desk:
            await desk.log_in(CONTACT)
            status, page = await desk.post("/dash/mail", {"csrf": await desk.csrf()})
    finally:
        smtp.stop()
    assert status == 200 and "总结邮件已发送" in page and bot.settings.contact.email in page
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == [bot.settings.contact.email]


async def test_mail_button_says_why_nothing_was_sent(tmp_path: Path) -> None:
    async with seeded(tmp_path, mailing_to(tmp_path, free_port())) as bot, DeskClient(bot) as desk:
        await desk.log_in(CONTACT)
        status, page = await desk.post("/dash/mail", {"csrf": await desk.csrf()})
    assert status == 502 and "邮件未发出" in page


# ---- downloads ----


async def test_downloads_arrive_whole_and_log_no_error(
    bot: Harness, desk: DeskClient, caplog: pytest.LogCaptureFixture
) -> None:
    await desk.log_in(CONTACT)
    caplog.set_level(logging.INFO)
    for fmt in ("xlsx", "docx", "zip"):
        async with desk.http.get(bot.url(f"/dash/export/{fmt}")) as response:
            body = await response.read()
            assert response.status == 200, body[:200]
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert int(response.headers["Content-Length"]) == len(body)
        with zipfile.ZipFile(io.BytesIO(body)) as archive:  # xlsx, docx and zip are all ZIP containers
            assert archive.testzip() is None, fmt
    # The server logs after the body has left; closing it waits for its request handlers to end.
    assert bot.server is not None
    await bot.server.close()
    errors = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
