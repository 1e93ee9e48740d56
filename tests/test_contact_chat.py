"""The contact person's chat tools and the liaison's record numbers, through the message pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main as weekbot
from scheduler.clock import TZ
from storage.models import AuditLog
from tests.chat import ChatTester
from tests.conftest import EXAMPLE
from tests.harness import make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

UNIT = "市商务局"


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatTester]:
    with ChatTester(make_settings(tmp_path)) as tester:
        tester.clock.set(datetime(2026, 4, 21, 10, 0, tzinfo=TZ))
        await tester.say("tianlin", "你好")  # the configured contact person binds on first contact
        await tester.bound("wangl", UNIT)
        yield tester


async def test_help_is_role_aware(chat: ChatTester) -> None:
    contact = await chat.say("tianlin", "帮助")
    for command in ("进度", "未报", "邀请码", "联络员", "通知"):
        assert command in contact
    liaison = await chat.say("wangl", "帮助")
    assert "我的" in liaison and "恢复" in liaison
    assert "邀请码" not in liaison and "未报" not in liaison


async def test_invite_code_for_one_unit_matches_the_cli(chat: ChatTester, capsys: pytest.CaptureFixture[str]) -> None:
    assert weekbot(["units", "codes", "--config", str(EXAMPLE)]) == 0
    printed = dict(line.split("\t")[1::-1] for line in capsys.readouterr().out.splitlines() if "联络员" in line)
    reply = await chat.say("tianlin", "邀请码 商务局")  # an alias names the unit too
    code = chat.code_for(UNIT)
    assert f"{UNIT}的邀请码：{code}" in reply and f"绑定 {code}" in reply
    assert printed[UNIT] == code
    listing = await chat.say("tianlin", "邀请码")
    assert f"{UNIT}：{code}" in listing and "朝阳海关：" in listing
    unknown = await chat.say("tianlin", "邀请码 火星局")
    assert "没有找到单位" in unknown


async def test_liaisons_cannot_see_codes(chat: ChatTester) -> None:
    reply = await chat.say("wangl", "邀请码")
    assert chat.code_for("朝阳海关") not in reply


async def test_liaison_list_shows_bound_and_unbound_units(chat: ChatTester) -> None:
    reply = await chat.say("tianlin", "联络员")
    assert f"{UNIT}：wangl·企业微信" in reply
    assert "未绑定" in reply and "朝阳海关" in reply.split("未绑定", 1)[1]


async def test_notice_needs_confirmation_and_goes_through_the_outbox(chat: ChatTester) -> None:
    await chat.bound("lihg", "朝阳海关")
    reply = await chat.say("tianlin", "通知 全部 明天下午三点开调度会")
    assert "回复“确认”" in reply and "2位联络员" in reply
    assert chat.outbox(kind="notice") == []
    reply = await chat.say("tianlin", "确认")
    assert "2位联络员" in reply
    sent = chat.outbox(kind="notice")
    assert sorted(m.recipient for m in sent) == ["lihg", "wangl"]
    assert all("明天下午三点开调度会" in m.text for m in sent)
    assert "notice" in {a.action for a in chat.rows(AuditLog)}


async def test_notice_to_silent_units_skips_those_that_reported(chat: ChatTester) -> None:
    await chat.bound("lihg", "朝阳海关")
    await chat.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    await chat.say("tianlin", "通知 未报 请今天下班前报送")
    await chat.say("tianlin", "确认")
    assert [m.recipient for m in chat.outbox(kind="notice")] == ["lihg"]


async def test_notice_is_cancelled_by_anything_but_confirm_or_by_time(chat: ChatTester) -> None:
    await chat.say("tianlin", "通知 全部 测试")
    assert "已取消" in await chat.say("tianlin", "算了")
    await chat.say("tianlin", "通知 全部 测试")
    chat.clock.advance(timedelta(minutes=6))
    await chat.say("tianlin", "确认")
    assert chat.outbox(kind="notice") == []


async def test_record_numbers_are_stable_and_withdrawal_can_be_undone(chat: ChatTester) -> None:
    await chat.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    await chat.say("wangl", "今天在市图书馆举办知识产权讲座，听众80人")
    await chat.say("wangl", "今天走访了3家企业，地点在开发区")
    withdrawn = await chat.say("wangl", "撤回 1")
    assert withdrawn.startswith("已撤回第1条") and "恢复 1" in withdrawn
    mine = await chat.say("wangl", "我的")
    assert "1. " not in mine and "2. " in mine and "3. " in mine and "开发区" in mine.split("3. ", 1)[1]
    corrected = await chat.say("wangl", "改 3 企业 5")
    assert corrected.startswith("已更正第3条")
    restored = await chat.say("wangl", "恢复 1")
    assert restored.startswith("已恢复第1条") and "新华路商圈" in restored
    assert len(chat.records()) == 3
    assert "没有被撤回" in await chat.say("wangl", "恢复 2")
    assert "没有第99999999999999999999999条" in await chat.say("wangl", "撤回 99999999999999999999999")


async def test_plain_words_correct_the_latest_record(chat: ChatTester) -> None:
    await chat.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    await chat.say("wangl", "今天在市图书馆举办知识产权讲座，听众80人")
    await chat.say("wangl", "今天走访了3家企业，地点在开发区，参与人数30人")
    await chat.say("wangl", "撤回 1")
    reply = await chat.say("wangl", "刚才那条人数写错了，应该是350人")
    assert reply.startswith("已更正第3条") and "开发区" in reply
    assert chat.records()[-1].participants == 350


@pytest.mark.parametrize(
    ("said", "field", "value"),
    [
        ("地点不对，是在市图书馆", "location", "市图书馆"),
        ("日期写错了，是20号", "date", "2026-04-20"),
        ("第1条资料改成600", "materials", 600),
        ("不好意思刚才那条写错了，是发了500份", "materials", 500),
        ("地点不是新华路，是文化广场", "location", "文化广场"),
    ],
)
async def test_plain_word_corrections(chat: ChatTester, said: str, field: str, value: object) -> None:
    await chat.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    reply = await chat.say("wangl", said)
    assert reply.startswith("已更正第1条"), reply
    stored = getattr(chat.records()[0], field)
    assert (stored.isoformat() if field == "date" else stored) == value


async def test_an_unclear_correction_asks_one_question(chat: ChatTester) -> None:
    await chat.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份，咨询40人次")
    question = await chat.say("wangl", "刚才那条写错了，应该是300")
    assert "哪一项" in question and chat.records()[0].materials == 200
    reply = await chat.say("wangl", "资料")
    assert reply.startswith("已更正第1条") and chat.records()[0].materials == 300
    vague = await chat.say("wangl", "刚才那条写错了")
    assert "应该改成什么" in vague


async def test_reports_with_similar_words_stay_reports(chat: ChatTester) -> None:
    reply = await chat.say("wangl", "今天在开发区举办了不对外开放的企业培训，参加人数50人")
    assert "已记录" in reply or "记下" in reply or reply.startswith("已"), reply
    assert len(chat.records()) == 1


async def test_a_new_liaison_is_asked_their_name_once(chat: ChatTester) -> None:
    reply = await chat.say("zhaoj", f"绑定 {chat.code_for('朝阳海关')}")
    assert "请回复您的姓名" in reply
    answer = await chat.say("zhaoj", "赵军 13900002222")
    assert answer.startswith("好的，赵军，手机13900002222")
    listing = await chat.say("tianlin", "联络员")
    assert "朝阳海关：赵军·企业微信" in listing


async def test_the_name_question_never_swallows_a_command_or_a_report(chat: ChatTester) -> None:
    await chat.say("zhaoj", f"绑定 {chat.code_for('朝阳海关')}")
    mine = await chat.say("zhaoj", "我的")
    assert "还没有报送记录" in mine
    await chat.say("zhaoj", "今天在海关大厅开展集中宣传，发放资料100份")
    assert len(chat.records()) == 1
    # asked once: a name sent later is not taken as the answer any more
    assert not (await chat.say("zhaoj", "赵军")).startswith("好的，赵军")


async def test_configured_userids_are_asked_their_name_on_first_contact(tmp_path: Path) -> None:
    with ChatTester(make_settings(tmp_path)) as fresh:
        first = await fresh.say("tianlin", "进度")  # bound from config by this very message
        assert "请回复您的姓名" in first
        assert (await fresh.say("tianlin", "田林")).startswith("好的，田林")
        assert "姓名" not in await fresh.say("tianlin", "进度")
