"""Campaign chat through the message pipeline: RSVPs, check-in, summaries and the contact's commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Settings
from handlers.campaign_routes import distance_m
from scheduler.clock import TZ
from storage.campaign_status import CeremonyAttendee, CeremonyCheckIn, SummarySubmission
from storage.models import AuditLog
from storage.outbox import OutboxMessage
from tests.chat import ChatTester
from tests.harness import make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

VENUE = (41.5718, 120.4506)


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def with_venue(settings: Settings) -> Settings:
    ceremony = settings.ceremony.model_copy(update={"latitude": VENUE[0], "longitude": VENUE[1]})
    return settings.model_copy(update={"ceremony": ceremony})


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatTester]:
    with ChatTester(with_venue(make_settings(tmp_path))) as tester:
        tester.clock.set(at(4, 14, 10, 5))
        await tester.say("tianlin", "帮助")
        await tester.bound("wangl", "市商务局")
        await tester.bound("lihg", "朝阳海关")
        yield tester


async def test_rsvp_command_and_free_text_register_attendees(chat: ChatTester) -> None:
    await chat.assert_reply(
        "wangl", "参会 王磊 13900001111", startswith="已登记市商务局参会人员：王磊 13900001111", contains="回复“签到”"
    )
    await chat.say("lihg", "参加启动仪式的是法规科张伟，电话13812345678")
    await chat.say("wangl", "参会 王磊 13900002222")  # a corrected phone replaces the old one
    people = {(a.name, a.phone) for a in chat.rows(CeremonyAttendee)}
    assert people == {("王磊", "13900002222"), ("张伟", "13812345678")}
    assert "ceremony.rsvp" in {a.action for a in chat.rows(AuditLog)}


async def test_rsvp_without_names_asks_for_them(chat: ChatTester) -> None:
    await chat.assert_reply("wangl", "我局已报名参加启动仪式", contains="参会人员姓名和手机号")
    assert chat.rows(CeremonyAttendee) == []


async def test_liaison_cannot_register_for_another_unit(chat: ChatTester) -> None:
    await chat.assert_reply("wangl", "海关参会人员：张伟 13812345678", contains="不能代朝阳海关报送")
    assert chat.rows(CeremonyAttendee) == []


async def test_check_in_only_on_the_ceremony_day_and_once(chat: ChatTester) -> None:
    assert "只在启动仪式当天（4月17日（周五））开放" in await chat.say("wangl", "签到")
    chat.clock.set(at(4, 17, 8, 41))
    assert "签到成功：市商务局 王磊，8:41" in await chat.say("wangl", "签到 王磊")
    assert "已签到过了" in await chat.say("wangl", "签到")
    assert [(c.name, c.how) for c in chat.rows(CeremonyCheckIn)] == [("王磊", "text")]


async def test_location_near_the_venue_checks_in(chat: ChatTester) -> None:
    chat.clock.set(at(4, 17, 8, 50))
    far = {"Location_X": VENUE[0] + 0.01, "Location_Y": VENUE[1], "Scale": 15, "Label": "别处"}
    assert "签到" not in await chat.send("lihg", "location", **far)  # left to the report routes
    assert chat.rows(CeremonyCheckIn) == []
    near = {"Location_X": VENUE[0] + 0.001, "Location_Y": VENUE[1], "Scale": 15, "Label": "检测检验中心"}
    assert "签到成功：朝阳海关" in await chat.send("lihg", "location", **near)
    (checkin,) = chat.rows(CeremonyCheckIn)
    assert checkin.how == "location" and 100 < (checkin.distance_m or 0) < 120


def test_distance_is_in_metres() -> None:
    assert distance_m(*VENUE, *VENUE) == 0
    assert round(distance_m(41.0, 120.0, 41.001, 120.0)) == 111


async def test_roll_call_lists_confirmed_checked_in_and_missing(chat: ChatTester) -> None:
    await chat.say("wangl", "参会 王磊 13900001111")
    await chat.say("lihg", "参会 张伟 13812345678")
    chat.clock.set(at(4, 17, 8, 45))
    await chat.say("wangl", "签到")
    roll_call = await chat.say("tianlin", "参会")
    assert "已报名2个单位" in roll_call and "市商务局：王磊 13900001111" in roll_call
    assert "已签到（1）：市商务局" in roll_call
    missing = roll_call.split("未到/未报名")[1]
    assert "朝阳海关" in missing and "市委宣传部（未报名）" in missing and "市商务局" not in missing


async def test_summary_said_by_liaison_or_marked_by_contact(chat: ChatTester) -> None:
    chat.clock.set(at(4, 27, 10, 5))
    assert "已登记市商务局的工作总结已报送" in await chat.say("wangl", "总结已发送至邮箱，请查收")
    assert "已登记：朝阳海关总结已交" in await chat.say("tianlin", "已交 海关")
    assert "已登记过" in await chat.say("tianlin", "已交 朝阳海关")
    assert "请写明单位" in await chat.say("tianlin", "已交 不存在的局")
    status = await chat.say("tianlin", "总结")
    assert "总结已交（2）" in status and "市商务局（4月27日10:05，联络员告知）" in status
    assert "市委宣传部" in status.split("未交")[1]
    assert {(s.how, s.actor) for s in chat.rows(SummarySubmission)} == {
        ("liaison", "wecom:wangl"),
        ("admin", "wecom:tianlin"),
    }


async def test_admin_commands_are_for_the_contact_only(chat: ChatTester) -> None:
    for command in ("进度", "未报", "汇总", "总结", "已交 朝阳海关", "提醒 朝阳海关"):
        reply = await chat.say("wangl", command)
        assert "已登记" not in reply and "已提醒" not in reply and "进度" not in reply, command
    assert chat.rows(SummarySubmission) == [] and chat.rows(OutboxMessage) == []


async def test_progress_silent_and_digest_during_the_week(chat: ChatTester) -> None:
    chat.clock.set(at(4, 21, 15, 5))
    await chat.say("wangl", "今天在万达广场开展知识产权宣传，发放资料200份，现场咨询30人次")
    progress = await chat.say("tianlin", "进度")
    assert progress.startswith("4月21日进度：已报1/25个单位，共1场活动，发放资料200份，咨询30人次")
    silent = await chat.say("tianlin", "未报")
    assert silent.startswith("4月21日未报（24个）") and "朝阳海关" in silent and "市委宣传部（未绑定）" in silent
    assert "市商务局" not in silent
    digest = await chat.say("tianlin", "汇总")
    assert digest.startswith("今日汇总（4月21日）：共1场活动") and "· 市商务局：1场（集中宣传）" in digest


async def test_nudge_one_unit_now_goes_through_the_outbox(chat: ChatTester) -> None:
    chat.clock.set(at(4, 21, 15, 5))
    reply = await chat.say("tianlin", "提醒 海关")
    assert reply == "已提醒朝阳海关（1人），消息马上发出。"
    (row,) = chat.rows(OutboxMessage)
    assert (row.kind, row.recipient, row.status) == ("manual_nudge", "lihg", "pending")
    assert row.text.startswith("今天（4月21日）还没收到贵单位的活动报送")
    assert row.not_after == at(4, 22, 0, 0)
    assert "还没有联络员绑定" in await chat.say("tianlin", "提醒 市委宣传部")
    assert "请写明要提醒的单位" in await chat.say("tianlin", "提醒")


async def test_nudge_text_follows_the_campaign_phase(chat: ChatTester) -> None:
    await chat.say("tianlin", "提醒 朝阳海关")  # 04-14: no RSVP yet
    chat.clock.set(at(4, 28, 9, 35))
    await chat.say("tianlin", "提醒 朝阳海关")  # the summary deadline day
    texts = [row.text for row in sorted(chat.rows(OutboxMessage), key=lambda r: r.id or 0)]
    assert texts[0].startswith("温馨提醒：") and "参会回复" in texts[0]
    assert texts[1].startswith("今天17:30截止")


async def test_digest_text_stays_within_wecom_limits(chat: ChatTester) -> None:
    chat.clock.set(at(4, 21, 15, 5))
    with chat.db.session() as session:
        from storage.models import Unit

        units = session.exec(select(Unit)).all()
    for unit in units:
        await chat.say("tianlin", f"【{unit.name}】今天在市民广场开展知识产权集中宣传，发放资料1200份，现场咨询300人次")
    digest = await chat.say("tianlin", "汇总")
    assert len(digest.encode()) <= 2000
