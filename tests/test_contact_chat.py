"""The contact person's chat tools and the liaison's record numbers, through the encrypted webhook."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main as weekbot
from scheduler.clock import TZ
from storage.models import Activity, AuditLog
from storage.outbox import OutboxMessage
from tests.conftest import EXAMPLE
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

UNIT = "市商务局"


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        harness.clock.set(datetime(2026, 4, 21, 10, 0, tzinfo=TZ))
        await harness.say("tianlin", "你好")  # the configured contact person binds on first contact
        await harness.bound("wangl", UNIT)
        yield harness


def active(bot: Harness) -> list[Activity]:
    return [a for a in bot.rows(Activity) if a.status == "active"]


async def test_help_is_role_aware(bot: Harness) -> None:
    contact = await bot.say("tianlin", "帮助") or ""
    for command in ("进度", "未报", "邀请码", "联络员", "通知"):
        assert command in contact
    liaison = await bot.say("wangl", "帮助") or ""
    assert "我的" in liaison and "恢复" in liaison
    assert "邀请码" not in liaison and "未报" not in liaison


async def test_invite_code_for_one_unit_matches_the_cli(bot: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    assert weekbot(["units", "codes", "--config", str(EXAMPLE)]) == 0
    printed = dict(line.split("\t")[1::-1] for line in capsys.readouterr().out.splitlines() if "联络员" in line)
    reply = await bot.say("tianlin", "邀请码 商务局") or ""  # an alias names the unit too
    code = bot.code_for(UNIT)
    assert f"{UNIT}的邀请码：{code}" in reply and f"绑定 {code}" in reply
    assert printed[UNIT] == code
    listing = await bot.say("tianlin", "邀请码") or ""
    assert f"{UNIT}：{code}" in listing and "朝阳海关：" in listing
    unknown = await bot.say("tianlin", "邀请码 火星局") or ""
    assert "没有找到单位" in unknown


async def test_liaisons_cannot_see_codes(bot: Harness) -> None:
    reply = await bot.say("wangl", "邀请码") or ""
    assert bot.code_for("朝阳海关") not in reply


async def test_liaison_list_shows_bound_and_unbound_units(bot: Harness) -> None:
    reply = await bot.say("tianlin", "联络员") or ""
    assert f"{UNIT}：wangl·企业微信" in reply
    assert "未绑定" in reply and "朝阳海关" in reply.split("未绑定", 1)[1]


async def test_notice_needs_confirmation_and_goes_through_the_outbox(bot: Harness) -> None:
    await bot.bound("lihg", "朝阳海关")
    reply = await bot.say("tianlin", "通知 全部 明天下午三点开调度会") or ""
    assert "回复“确认”" in reply and "2位联络员" in reply
    assert [m for m in bot.rows(OutboxMessage) if m.kind == "notice"] == []
    reply = await bot.say("tianlin", "确认") or ""
    assert "2位联络员" in reply
    sent = [m for m in bot.rows(OutboxMessage) if m.kind == "notice"]
    assert sorted(m.recipient for m in sent) == ["lihg", "wangl"]
    assert all("明天下午三点开调度会" in m.text for m in sent)
    assert "notice" in {a.action for a in bot.rows(AuditLog)}


async def test_notice_to_silent_units_skips_those_that_reported(bot: Harness) -> None:
    await bot.bound("lihg", "朝阳海关")
    await bot.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    await bot.say("tianlin", "通知 未报 请今天下班前报送")
    await bot.say("tianlin", "确认")
    assert [m.recipient for m in bot.rows(OutboxMessage) if m.kind == "notice"] == ["lihg"]


async def test_notice_is_cancelled_by_anything_but_confirm_or_by_time(bot: Harness) -> None:
    await bot.say("tianlin", "通知 全部 测试")
    assert "已取消" in (await bot.say("tianlin", "算了") or "")
    await bot.say("tianlin", "通知 全部 测试")
    bot.clock.advance(timedelta(minutes=6))
    await bot.say("tianlin", "确认")
    assert [m for m in bot.rows(OutboxMessage) if m.kind == "notice"] == []


async def test_record_numbers_are_stable_and_withdrawal_can_be_undone(bot: Harness) -> None:
    await bot.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    await bot.say("wangl", "今天在市图书馆举办知识产权讲座，听众80人")
    await bot.say("wangl", "今天走访了3家企业，地点在开发区")
    withdrawn = await bot.say("wangl", "撤回 1") or ""
    assert withdrawn.startswith("已撤回第1条") and "恢复 1" in withdrawn
    mine = await bot.say("wangl", "我的") or ""
    assert "1. " not in mine and "2. " in mine and "3. " in mine and "开发区" in mine.split("3. ", 1)[1]
    corrected = await bot.say("wangl", "改 3 企业 5") or ""
    assert corrected.startswith("已更正第3条")
    restored = await bot.say("wangl", "恢复 1") or ""
    assert restored.startswith("已恢复第1条") and "新华路商圈" in restored
    assert len(active(bot)) == 3
    assert "没有被撤回" in (await bot.say("wangl", "恢复 2") or "")
    assert "没有第99999999999999999999999条" in (await bot.say("wangl", "撤回 99999999999999999999999") or "")


async def test_plain_words_correct_the_latest_record(bot: Harness) -> None:
    await bot.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    await bot.say("wangl", "今天在市图书馆举办知识产权讲座，听众80人")
    await bot.say("wangl", "今天走访了3家企业，地点在开发区，参与人数30人")
    await bot.say("wangl", "撤回 1")
    reply = await bot.say("wangl", "刚才那条人数写错了，应该是350人") or ""
    assert reply.startswith("已更正第3条") and "开发区" in reply
    assert active(bot)[-1].participants == 350


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
async def test_plain_word_corrections(bot: Harness, said: str, field: str, value: object) -> None:
    await bot.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份")
    reply = await bot.say("wangl", said) or ""
    assert reply.startswith("已更正第1条"), reply
    stored = getattr(active(bot)[0], field)
    assert (stored.isoformat() if field == "date" else stored) == value


async def test_an_unclear_correction_asks_one_question(bot: Harness) -> None:
    await bot.say("wangl", "今天在新华路商圈开展集中宣传，发放资料200份，咨询40人次")
    question = await bot.say("wangl", "刚才那条写错了，应该是300") or ""
    assert "哪一项" in question and active(bot)[0].materials == 200
    reply = await bot.say("wangl", "资料") or ""
    assert reply.startswith("已更正第1条") and active(bot)[0].materials == 300
    vague = await bot.say("wangl", "刚才那条写错了") or ""
    assert "应该改成什么" in vague


async def test_reports_with_similar_words_stay_reports(bot: Harness) -> None:
    reply = await bot.say("wangl", "今天在开发区举办了不对外开放的企业培训，参加人数50人") or ""
    assert "已记录" in reply or "记下" in reply or reply.startswith("已"), reply
    assert len(active(bot)) == 1


async def test_a_new_liaison_is_asked_their_name_once(bot: Harness) -> None:
    reply = await bot.say("zhaoj", f"绑定 {bot.code_for('朝阳海关')}") or ""
    assert "请回复您的姓名" in reply
    answer = await bot.say("zhaoj", "赵军 13900002222") or ""
    assert answer.startswith("好的，赵军，手机13900002222")
    listing = await bot.say("tianlin", "联络员") or ""
    assert "朝阳海关：赵军·企业微信" in listing


async def test_the_name_question_never_swallows_a_command_or_a_report(bot: Harness) -> None:
    await bot.say("zhaoj", f"绑定 {bot.code_for('朝阳海关')}")
    mine = await bot.say("zhaoj", "我的") or ""
    assert "还没有报送记录" in mine
    await bot.say("zhaoj", "今天在海关大厅开展集中宣传，发放资料100份")
    assert len(active(bot)) == 1
    # asked once: a name sent later is not taken as the answer any more
    assert not (await bot.say("zhaoj", "赵军") or "").startswith("好的，赵军")


async def test_configured_userids_are_asked_their_name_on_first_contact(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as harness:
        first = await harness.say("tianlin", "进度") or ""  # bound from config by this very message
        assert "请回复您的姓名" in first
        assert (await harness.say("tianlin", "田林") or "").startswith("好的，田林")
        assert "姓名" not in (await harness.say("tianlin", "进度") or "")
