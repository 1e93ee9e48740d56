"""Dialogs through the message pipeline: questions, answers, corrections, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from handlers.card_routes import EXPIRED
from storage.cards import CardTask
from storage.dialogs import DialogState
from storage.models import AuditLog
from storage.wording import clip
from tests.chat import ChatTester
from tests.harness import make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

UNIT = "市商务局"


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatTester]:
    with ChatTester(make_settings(tmp_path)) as tester:
        await tester.bound("wang", UNIT)
        yield tester


async def test_missing_place_is_asked_and_the_answer_completes_the_record(chat: ChatTester) -> None:
    await chat.expect_question("wang", "今天开展了知识产权集中宣传，发放资料300份", asks="什么地点")
    await chat.assert_reply("wang", "新华路商圈", startswith="已补充", contains="新华路商圈")
    [record] = chat.records()
    assert record.location == "新华路商圈" and record.materials == 300
    assert chat.rows(DialogState) == []


async def test_restart_mid_dialog_loses_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with ChatTester(settings) as first:
        await first.bound("wang", UNIT)
        await first.expect_question("wang", "今天开展了集中宣传，发放资料300份", asks="什么地点")
        clock = first.clock
    clock.advance(timedelta(minutes=5))
    with ChatTester(settings, clock) as second:  # a new process on the same database
        await second.assert_reply("wang", "朝阳大街", contains="朝阳大街")
        [record] = second.records()
        assert record.location == "朝阳大街"


async def test_unanswered_question_times_out(chat: ChatTester) -> None:
    await chat.say("wang", "今天开展了集中宣传，发放资料300份")
    chat.clock.advance(timedelta(minutes=chat.settings.dialog.question_timeout_minutes + 1))
    await chat.assert_reply("wang", "朝阳大街", contains="如需报送活动")  # not taken as the answer any more
    assert chat.records()[0].location is None


async def test_missing_type_is_asked_then_place(chat: ChatTester) -> None:
    await chat.expect_question("wang", "今天上午搞了个活动，来了50人", asks="哪类活动")
    await chat.expect_question("wang", "培训", asks="什么地点")
    await chat.say("wang", "市图书馆")
    [record] = chat.records()
    assert (record.type, record.location, record.participants) == ("training", "市图书馆", 50)


async def test_the_type_question_is_answered_by_its_card(chat: ChatTester) -> None:
    await chat.expect_question("wang", "今天上午在新华路商圈搞了个活动，来了50人", asks="哪类活动")
    [task] = chat.rows(CardTask)  # the same question as buttons, pushed through the outbox
    assert [row.extra["card"]["task_id"] for row in chat.outbox(recipient="wang")] == [task.task_id]
    assert (await chat.click("wang", task.task_id, "type:training")).startswith("已补充")
    assert [(a.type, a.location) for a in chat.records()] == [("training", "新华路商圈")]
    assert chat.dialog("wang") is None
    # Answered: another button of the same card changes nothing.
    assert (await chat.click("wang", task.task_id, "type:media")).startswith(EXPIRED)
    assert chat.records()[0].type == "training"


async def test_a_new_report_replaces_the_question(chat: ChatTester) -> None:
    await chat.say("wang", "今天开展了集中宣传，发放资料300份")
    await chat.assert_reply("wang", "今天下午在市图书馆举办商标知识讲座，参加40人", contains="已记录")
    assert [a.type for a in chat.records()] == ["publicity", "training"]


async def test_skip_answer_keeps_record_without_place(chat: ChatTester) -> None:
    await chat.say("wang", "今天开展了集中宣传，发放资料300份")
    await chat.assert_reply("wang", "无", contains="好的")
    assert chat.records()[0].location is None and chat.rows(DialogState) == []


async def test_corrections_by_last_and_by_number(chat: ChatTester) -> None:
    await chat.say("wang", "4月20日在新华路商圈开展集中宣传，发放资料200份")
    await chat.say("wang", "今天在市图书馆举办商标讲座，参加30人")
    await chat.assert_reply("wang", "改 人数 约五百", contains="参与约500人")
    await chat.assert_reply("wang", "改 1 地点 朝阳大街商圈", contains="朝阳大街商圈")
    await chat.say("wang", "改 1 日期 4月21日")
    first, second = chat.records()
    assert (first.location, first.date) == ("朝阳大街商圈", date(2026, 4, 21))
    assert (second.participants, second.approximate) == (500, {"participants": True})
    updates = [a.detail for a in chat.rows(AuditLog) if a.action == "activity.update"]
    assert [u["field"] for u in updates] == ["participants", "location", "date"]
    assert updates[0]["before"] == 30 and updates[0]["after"] == 500


async def test_bad_corrections_say_how(chat: ChatTester) -> None:
    await chat.assert_reply("wang", "改 人数 500", contains="还没有可以更正的记录")
    await chat.say("wang", "今天在市图书馆举办商标讲座，参加30人")
    await chat.assert_reply("wang", "改 9 人数 500", contains="没有第9条")
    await chat.assert_reply("wang", "改 颜色 红", contains="更正格式")
    await chat.assert_reply("wang", "改 人数 很多", contains="没看懂")


async def test_mine_lists_and_withdraw_removes(chat: ChatTester) -> None:
    await chat.say("wang", "4月20日在新华路商圈开展集中宣传，发放资料200份")
    await chat.say("wang", "今天在市图书馆举办商标讲座，参加30人")
    await chat.assert_reply("wang", "我的", contains=("已报送2条", "1. 4月20日", "2. 4月20日"))
    await chat.assert_reply("wang", "撤回", contains="已撤回第2条")
    await chat.assert_reply("wang", "撤回 1", contains="已撤回第1条")
    assert chat.records() == []
    await chat.assert_reply("wang", "我的", contains="还没有报送记录")


async def test_location_message_fills_the_open_record(chat: ChatTester) -> None:
    await chat.say("wang", "今天开展了集中宣传，发放资料300份")
    assert "朝阳市新华路" in await chat.location("wang", 41.57, 120.45, "朝阳市新华路")
    assert chat.records()[0].location == "朝阳市新华路"


async def test_link_message_is_recorded_as_media(chat: ChatTester) -> None:
    reply = await chat.send(
        "wang", "link", Title="我局开展知识产权宣传周活动", Description="", Url="https://example.org/a"
    )
    assert "媒体宣传" in reply
    [record] = chat.records()
    assert (record.type, record.articles) == ("media", 1)


async def test_voice_uses_recognition_text(chat: ChatTester) -> None:
    reply = await chat.send(
        "wang", "voice", MediaId="m1", Format="amr", Recognition="今天在新华路商圈开展集中宣传，发放资料100份"
    )
    assert "新华路商圈" in reply
    assert "没能识别" in await chat.send("wang", "voice", MediaId="m2", Format="amr")


async def test_long_replies_fit_what_wechat_accepts(chat: ChatTester) -> None:
    for day in range(20, 27):
        for place in ("新华路商圈", "朝阳大街", "市图书馆", "龙城区长宝社区", "市政务服务中心"):
            await chat.say("wang", f"4月{day}日在{place}开展知识产权集中宣传活动，发放宣传资料200份，现场咨询30人次")
    # The handler's own reply, before the channel's clip: it must fit by itself.
    reply = await chat.assert_reply("wang", "我的", contains=("已报送35条，以下是最近10条", "\n26. ", "\n35. "))
    assert len(reply.encode()) <= 2048 and "\n25. " not in reply
    long_reply = "\n".join(f"第{n}行：" + "知识产权宣传" * 10 for n in range(40))
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
