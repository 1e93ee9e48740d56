"""Dialogs end to end through the encrypted webhook: questions, answers, corrections, restarts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from storage.dialogs import DialogState
from storage.models import Activity, AuditLog
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

UNIT = "市商务局"


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        await harness.bound("wang", UNIT)
        yield harness


def active(bot: Harness) -> list[Activity]:
    return [a for a in bot.rows(Activity) if a.status == "active"]


async def test_missing_place_is_asked_and_the_answer_completes_the_record(bot: Harness) -> None:
    reply = await bot.say("wang", "今天开展了知识产权集中宣传，发放资料300份")
    assert reply and "什么地点" in reply
    reply = await bot.say("wang", "新华路商圈")
    assert reply and reply.startswith("已补充") and "新华路商圈" in reply
    [record] = active(bot)
    assert record.location == "新华路商圈" and record.materials == 300
    assert bot.rows(DialogState) == []


async def test_restart_mid_dialog_loses_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with Harness(settings) as first:
        await first.bound("wang", UNIT)
        assert "什么地点" in (await first.say("wang", "今天开展了集中宣传，发放资料300份") or "")
        clock = first.clock
    clock.advance(timedelta(minutes=5))
    async with Harness(settings, clock) as second:  # a new process on the same database
        reply = await second.say("wang", "朝阳大街")
        assert reply and "朝阳大街" in reply
        [record] = active(second)
        assert record.location == "朝阳大街"


async def test_unanswered_question_times_out(bot: Harness) -> None:
    await bot.say("wang", "今天开展了集中宣传，发放资料300份")
    bot.clock.advance(timedelta(minutes=bot.settings.dialog.question_timeout_minutes + 1))
    reply = await bot.say("wang", "朝阳大街")
    assert reply and "如需报送活动" in reply  # not taken as the answer any more
    assert active(bot)[0].location is None


async def test_missing_type_is_asked_then_place(bot: Harness) -> None:
    reply = await bot.say("wang", "今天上午搞了个活动，来了50人")
    assert reply and "哪类活动" in reply
    reply = await bot.say("wang", "培训")
    assert reply and "什么地点" in reply
    reply = await bot.say("wang", "市图书馆")
    [record] = active(bot)
    assert (record.type, record.location, record.participants) == ("training", "市图书馆", 50)


async def test_a_new_report_replaces_the_question(bot: Harness) -> None:
    await bot.say("wang", "今天开展了集中宣传，发放资料300份")
    reply = await bot.say("wang", "今天下午在市图书馆举办商标知识讲座，参加40人")
    assert reply and "已记录" in reply
    assert [a.type for a in active(bot)] == ["publicity", "training"]


async def test_skip_answer_keeps_record_without_place(bot: Harness) -> None:
    await bot.say("wang", "今天开展了集中宣传，发放资料300份")
    assert "好的" in (await bot.say("wang", "无") or "")
    assert active(bot)[0].location is None and bot.rows(DialogState) == []


async def test_corrections_by_last_and_by_number(bot: Harness) -> None:
    await bot.say("wang", "4月20日在新华路商圈开展集中宣传，发放资料200份")
    await bot.say("wang", "今天在市图书馆举办商标讲座，参加30人")
    reply = await bot.say("wang", "改 人数 约五百")
    assert reply and "参与约500人" in reply
    reply = await bot.say("wang", "改 1 地点 朝阳大街商圈")
    assert reply and "朝阳大街商圈" in reply
    reply = await bot.say("wang", "改 1 日期 4月21日")
    first, second = active(bot)
    assert (first.location, first.date) == ("朝阳大街商圈", date(2026, 4, 21))
    assert (second.participants, second.approximate) == (500, {"participants": True})
    updates = [a.detail for a in bot.rows(AuditLog) if a.action == "activity.update"]
    assert [u["field"] for u in updates] == ["participants", "location", "date"]
    assert updates[0]["before"] == 30 and updates[0]["after"] == 500


async def test_bad_corrections_say_how(bot: Harness) -> None:
    assert "还没有可以更正的记录" in (await bot.say("wang", "改 人数 500") or "")
    await bot.say("wang", "今天在市图书馆举办商标讲座，参加30人")
    assert "没有第9条" in (await bot.say("wang", "改 9 人数 500") or "")
    assert "更正格式" in (await bot.say("wang", "改 颜色 红") or "")
    assert "没看懂" in (await bot.say("wang", "改 人数 很多") or "")


async def test_mine_lists_and_withdraw_removes(bot: Harness) -> None:
    await bot.say("wang", "4月20日在新华路商圈开展集中宣传，发放资料200份")
    await bot.say("wang", "今天在市图书馆举办商标讲座，参加30人")
    mine = await bot.say("wang", "我的")
    assert mine and "已报送2条" in mine and "1. 4月20日" in mine and "2. 4月20日" in mine
    assert "已撤回第2条" in (await bot.say("wang", "撤回") or "")
    assert "已撤回第1条" in (await bot.say("wang", "撤回 1") or "")
    assert active(bot) == []
    assert "还没有报送记录" in (await bot.say("wang", "我的") or "")


async def test_location_message_fills_the_open_record(bot: Harness) -> None:
    await bot.say("wang", "今天开展了集中宣传，发放资料300份")
    reply = await bot.send("wang", "location", Location_X=41.57, Location_Y=120.45, Scale=15, Label="朝阳市新华路")
    assert reply and "朝阳市新华路" in reply
    assert active(bot)[0].location == "朝阳市新华路"


async def test_link_message_is_recorded_as_media(bot: Harness) -> None:
    reply = await bot.send(
        "wang", "link", Title="我局开展知识产权宣传周活动", Description="", Url="https://example.org/a"
    )
    assert reply and "媒体宣传" in reply
    [record] = active(bot)
    assert (record.type, record.articles) == ("media", 1)


async def test_voice_uses_recognition_text(bot: Harness) -> None:
    reply = await bot.send(
        "wang", "voice", MediaId="m1", Format="amr", Recognition="今天在新华路商圈开展集中宣传，发放资料100份"
    )
    assert reply and "新华路商圈" in reply
    assert "没能识别" in (await bot.send("wang", "voice", MediaId="m2", Format="amr") or "")


async def test_long_replies_fit_what_wechat_accepts(bot: Harness) -> None:
    for day in range(20, 27):
        for place in ("新华路商圈", "朝阳大街", "市图书馆", "龙城区长宝社区", "市政务服务中心"):
            await bot.say("wang", f"4月{day}日在{place}开展知识产权集中宣传活动，发放宣传资料200份，现场咨询30人次")
    reply = await bot.say("wang", "我的")
    assert reply is not None and len(reply.encode()) <= 2048
    assert "已报送35条，以下是最近10条" in reply and "\n26. " in reply and "\n35. " in reply and "\n25. " not in reply
    long_reply = "\n".join(f"第{n}行：" + "知识产权宣传" * 10 for n in range(40))
    from storage.wording import clip

    assert len(clip(long_reply).encode()) <= 2000 and clip(long_reply).endswith("（内容较长，已截断）")


def test_declared_states_keep_their_stored_names() -> None:
    """DialogState.state stores a state's name: renaming one would orphan questions left open."""
    from handlers.card_routes import RsvpQuestions
    from handlers.contact_routes import NoticeQuestions
    from handlers.corrections import CorrectionQuestions
    from handlers.names import NameQuestions
    from handlers.report_routes import ASK_TYPE, ReportQuestions

    stored = [
        ReportQuestions.ask_type,
        ReportQuestions.ask_location,
        RsvpQuestions.rsvp_names,
        NameQuestions.ask_name,
        CorrectionQuestions.ask_correction_field,
        NoticeQuestions.confirm_notice,
    ]
    assert [state.name for state in stored] == [
        "ask_type",
        "ask_location",
        "rsvp_names",
        "ask_name",
        "ask_correction_field",
        "confirm_notice",
    ]
    assert ReportQuestions.ask_type.question == ASK_TYPE
