"""Binding: invite codes, automatic binding, rate limiting, unbinding, impersonation."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.binding import MAX_FAILED_ATTEMPTS_PER_HOUR, code_table, invite_code
from storage.models import Activity, AuditLog, Liaison
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        yield harness


def test_codes_are_distinct_stable_and_secret_dependent(bot: Harness) -> None:
    table = code_table(bot.runtime.deps)
    assert len(table) == 27  # 26 units + the contact person's admin code
    assert all(len(code) == 8 and code.isalnum() and code.isupper() for code in table)
    assert invite_code("secret-one", "unit:市商务局") == invite_code("secret-one", "unit:市商务局")
    assert invite_code("secret-one", "unit:市商务局") != invite_code("secret-two", "unit:市商务局")


async def test_invite_code_binds_sender_to_its_unit(bot: Harness) -> None:
    reply = await bot.say("wang", f"绑定 {bot.code_for('市商务局').lower()}")
    assert reply and reply.startswith("绑定成功：市商务局")
    liaisons = bot.rows(Liaison)
    assert [(lia.user_id, lia.role) for lia in liaisons] == [("wang", "liaison")]


async def test_bare_code_also_binds(bot: Harness) -> None:
    assert (await bot.say("li", bot.code_for("朝阳海关"))).startswith("绑定成功：朝阳海关")


async def test_admin_code_binds_contact_person_as_admin(bot: Harness) -> None:
    reply = await bot.say("tl-mp", f"绑定 {bot.code_for('市市场监督管理局', role='admin')}")
    assert reply and "管理员" in reply
    assert bot.rows(Liaison)[0].role == "admin"


async def test_several_liaisons_per_unit(bot: Harness) -> None:
    await bot.bound("a1", "市教育局")
    await bot.bound("a2", "市教育局")
    assert sorted(lia.user_id for lia in bot.rows(Liaison)) == ["a1", "a2"]


async def test_wrong_codes_are_rate_limited(bot: Harness) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS_PER_HOUR):
        assert "不正确" in (await bot.say("guesser", "绑定 AAAAAAAA") or "")
    # Even the right code is refused now: guessing is throttled, not just wrong answers.
    reply = await bot.say("guesser", f"绑定 {bot.code_for('市商务局')}")
    assert reply and "尝试次数过多" in reply
    assert bot.rows(Liaison) == []
    assert [a.action for a in bot.rows(AuditLog)].count("bind.failed") == MAX_FAILED_ATTEMPTS_PER_HOUR


async def test_unbind_after_reporting_keeps_records_and_rebinding_reuses_the_row(bot: Harness) -> None:
    await bot.bound("zhao", "市司法局")
    await bot.say("zhao", "今天在市政府广场开展集中宣传，发放资料200份")
    assert "已解除与市司法局的绑定" in (await bot.say("zhao", "解绑") or "")
    [liaison] = bot.rows(Liaison)
    [record] = bot.rows(Activity)
    assert liaison.role == "unbound" and record.liaison_id == liaison.id
    await bot.bound("zhao", "市商务局")
    [again] = bot.rows(Liaison)
    assert (again.id, again.role) == (liaison.id, "liaison")
    reply = await bot.say("zhao", "我的")
    assert reply and "市商务局还没有报送记录" in reply


async def test_unbind_is_audited_and_stops_reporting(bot: Harness) -> None:
    await bot.bound("zhao", "市司法局")
    assert "已解除与市司法局的绑定" in (await bot.say("zhao", "解绑") or "")
    assert [lia.role for lia in bot.rows(Liaison)] == ["unbound"]
    assert [a.action for a in bot.rows(AuditLog)] == ["bind", "unbind"]
    reply = await bot.say("zhao", "今天在市政府广场开展集中宣传，发放资料200份")
    assert reply and "绑定 邀请码" in reply
    assert bot.rows(Activity) == []


async def test_unbound_sender_cannot_file(bot: Harness) -> None:
    reply = await bot.say("nobody", "【市商务局】今天在商业街开展集中宣传，发放资料300份")
    assert reply and "绑定" in reply
    assert bot.rows(Activity) == []


async def test_liaison_cannot_file_for_another_unit(bot: Harness) -> None:
    await bot.bound("kj", "市科技局")
    reply = await bot.say("kj", "【市商务局】今天在商业街开展集中宣传，发放资料300份")
    assert reply and "不能代市商务局报送" in reply
    assert bot.rows(Activity) == []


async def test_contact_person_may_file_for_a_named_unit(bot: Harness) -> None:
    reply = await bot.say("tianlin", "【市商务局】今天在商业街开展集中宣传，发放资料300份")
    assert reply and "市商务局" in reply and "300" in reply
    [activity] = bot.rows(Activity)
    assert activity.materials == 300
