"""Campaign chat through the real webhook: RSVPs, check-in, summaries and the contact's commands."""

from __future__ import annotations

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
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

VENUE = (41.5718, 120.4506)


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def with_venue(settings: Settings) -> Settings:
    ceremony = settings.ceremony.model_copy(update={"latitude": VENUE[0], "longitude": VENUE[1]})
    return settings.model_copy(update={"ceremony": ceremony})


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(with_venue(make_settings(tmp_path))) as harness:
        harness.clock.set(at(4, 14, 10, 5))
        await harness.say("tianlin", "帮助")
        await harness.bound("wangl", "市商务局")
        await harness.bound("lihg", "朝阳海关")
        yield harness


async def test_rsvp_command_and_free_text_register_attendees(bot: Harness) -> None:
    reply = await bot.say("wangl", "参会 王磊 13900001111")
    assert reply and reply.startswith("已登记市商务局参会人员：王磊 13900001111") and "回复“签到”" in reply
    await bot.say("lihg", "参加启动仪式的是法规科张伟，电话13812345678")
    await bot.say("wangl", "参会 王磊 13900002222")  # a corrected phone replaces the old one
    people = {(a.name, a.phone) for a in bot.rows(CeremonyAttendee)}
    assert people == {("王磊", "13900002222"), ("张伟", "13812345678")}
    assert "ceremony.rsvp" in {a.action for a in bot.rows(AuditLog)}


async def test_rsvp_without_names_asks_for_them(bot: Harness) -> None:
    reply = await bot.say("wangl", "我局已报名参加启动仪式")
    assert reply and "参会人员姓名和手机号" in reply
    assert bot.rows(CeremonyAttendee) == []


async def test_liaison_cannot_register_for_another_unit(bot: Harness) -> None:
    reply = await bot.say("wangl", "海关参会人员：张伟 13812345678")
    assert reply and "不能代朝阳海关报送" in reply
    assert bot.rows(CeremonyAttendee) == []


async def test_check_in_only_on_the_ceremony_day_and_once(bot: Harness) -> None:
    assert "只在启动仪式当天（4月17日（周五））开放" in (await bot.say("wangl", "签到") or "")
    bot.clock.set(at(4, 17, 8, 41))
    assert "签到成功：市商务局 王磊，8:41" in (await bot.say("wangl", "签到 王磊") or "")
    assert "已签到过了" in (await bot.say("wangl", "签到") or "")
    assert [(c.name, c.how) for c in bot.rows(CeremonyCheckIn)] == [("王磊", "text")]


async def test_location_near_the_venue_checks_in(bot: Harness) -> None:
    bot.clock.set(at(4, 17, 8, 50))
    far = {"Location_X": VENUE[0] + 0.01, "Location_Y": VENUE[1], "Scale": 15, "Label": "别处"}
    assert "签到" not in (await bot.send("lihg", "location", **far) or "")  # left to the report routes
    assert bot.rows(CeremonyCheckIn) == []
    near = {"Location_X": VENUE[0] + 0.001, "Location_Y": VENUE[1], "Scale": 15, "Label": "检测检验中心"}
    assert "签到成功：朝阳海关" in (await bot.send("lihg", "location", **near) or "")
    (checkin,) = bot.rows(CeremonyCheckIn)
    assert checkin.how == "location" and 100 < (checkin.distance_m or 0) < 120


def test_distance_is_in_metres() -> None:
    assert distance_m(*VENUE, *VENUE) == 0
    assert round(distance_m(41.0, 120.0, 41.001, 120.0)) == 111


async def test_roll_call_lists_confirmed_checked_in_and_missing(bot: Harness) -> None:
    await bot.say("wangl", "参会 王磊 13900001111")
    await bot.say("lihg", "参会 张伟 13812345678")
    bot.clock.set(at(4, 17, 8, 45))
    await bot.say("wangl", "签到")
    roll_call = await bot.say("tianlin", "参会") or ""
    assert "已报名2个单位" in roll_call and "市商务局：王磊 13900001111" in roll_call
    assert "已签到（1）：市商务局" in roll_call
    missing = roll_call.split("未到/未报名")[1]
    assert "朝阳海关" in missing and "市委宣传部（未报名）" in missing and "市商务局" not in missing


async def test_summary_said_by_liaison_or_marked_by_contact(bot: Harness) -> None:
    bot.clock.set(at(4, 27, 10, 5))
    assert "已登记市商务局的工作总结已报送" in (await bot.say("wangl", "总结已发送至邮箱，请查收") or "")
    assert "已登记：朝阳海关总结已交" in (await bot.say("tianlin", "已交 海关") or "")
    assert "已登记过" in (await bot.say("tianlin", "已交 朝阳海关") or "")
    assert "请写明单位" in (await bot.say("tianlin", "已交 不存在的局") or "")
    status = await bot.say("tianlin", "总结") or ""
    assert "总结已交（2）" in status and "市商务局（4月27日10:05，联络员告知）" in status
    assert "市委宣传部" in status.split("未交")[1]
    assert {(s.how, s.actor) for s in bot.rows(SummarySubmission)} == {
        ("liaison", "wecom:wangl"),
        ("admin", "wecom:tianlin"),
    }


async def test_admin_commands_are_for_the_contact_only(bot: Harness) -> None:
    for command in ("进度", "未报", "汇总", "总结", "已交 朝阳海关", "提醒 朝阳海关"):
        reply = await bot.say("wangl", command) or ""
        assert "已登记" not in reply and "已提醒" not in reply and "进度" not in reply, command
    assert bot.rows(SummarySubmission) == [] and bot.rows(OutboxMessage) == []


async def test_progress_silent_and_digest_during_the_week(bot: Harness) -> None:
    bot.clock.set(at(4, 21, 15, 5))
    await bot.say("wangl", "今天在万达广场开展知识产权宣传，发放资料200份，现场咨询30人次")
    progress = await bot.say("tianlin", "进度") or ""
    assert progress.startswith("4月21日进度：已报1/25个单位，共1场活动，发放资料200份，咨询30人次")
    silent = await bot.say("tianlin", "未报") or ""
    assert silent.startswith("4月21日未报（24个）") and "朝阳海关" in silent and "市委宣传部（未绑定）" in silent
    assert "市商务局" not in silent
    digest = await bot.say("tianlin", "汇总") or ""
    assert digest.startswith("今日汇总（4月21日）：共1场活动") and "· 市商务局：1场（集中宣传）" in digest


async def test_nudge_one_unit_now_goes_through_the_outbox(bot: Harness) -> None:
    bot.clock.set(at(4, 21, 15, 5))
    reply = await bot.say("tianlin", "提醒 海关")
    assert reply == "已提醒朝阳海关（1人），消息马上发出。"
    (row,) = bot.rows(OutboxMessage)
    assert (row.kind, row.recipient, row.status) == ("manual_nudge", "lihg", "pending")
    assert row.text.startswith("今天（4月21日）还没收到贵单位的活动报送")
    assert row.not_after == at(4, 22, 0, 0)
    assert "还没有联络员绑定" in (await bot.say("tianlin", "提醒 市委宣传部") or "")
    assert "请写明要提醒的单位" in (await bot.say("tianlin", "提醒") or "")


async def test_nudge_text_follows_the_campaign_phase(bot: Harness) -> None:
    await bot.say("tianlin", "提醒 朝阳海关")  # 04-14: no RSVP yet
    bot.clock.set(at(4, 28, 9, 35))
    await bot.say("tianlin", "提醒 朝阳海关")  # the summary deadline day
    texts = [row.text for row in sorted(bot.rows(OutboxMessage), key=lambda r: r.id or 0)]
    assert texts[0].startswith("温馨提醒：") and "参会回复" in texts[0]
    assert texts[1].startswith("今天17:30截止")


async def test_digest_text_stays_within_wecom_limits(bot: Harness) -> None:
    bot.clock.set(at(4, 21, 15, 5))
    with bot.runtime.db.session() as session:
        from storage.models import Unit

        units = session.exec(select(Unit)).all()
    for unit in units:
        await bot.say("tianlin", f"【{unit.name}】今天在市民广场开展知识产权集中宣传，发放资料1200份，现场咨询300人次")
    digest = await bot.say("tianlin", "汇总") or ""
    assert len(digest.encode()) <= 2000
