"""Binding: invite codes, automatic binding, rate limiting, unbinding, impersonation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.binding import MAX_FAILED_ATTEMPTS_PER_HOUR, code_table, invite_code
from storage.models import Activity, AuditLog, Liaison
from tests.chat import ChatTester
from tests.harness import make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[ChatTester]:
    with ChatTester(make_settings(tmp_path)) as tester:
        yield tester


def test_codes_are_distinct_stable_and_secret_dependent(chat: ChatTester) -> None:
    table = code_table(chat.deps)
    assert len(table) == 27  # 26 units + the contact person's admin code
    assert all(len(code) == 8 and code.isalnum() and code.isupper() for code in table)
    assert invite_code("secret-one", "unit:市商务局") == invite_code("secret-one", "unit:市商务局")
    assert invite_code("secret-one", "unit:市商务局") != invite_code("secret-two", "unit:市商务局")


async def test_invite_code_binds_sender_to_its_unit(chat: ChatTester) -> None:
    await chat.assert_reply("wang", f"绑定 {chat.code_for('市商务局').lower()}", startswith="绑定成功：市商务局")
    liaisons = chat.rows(Liaison)
    assert [(lia.user_id, lia.role) for lia in liaisons] == [("wang", "liaison")]


async def test_bare_code_also_binds(chat: ChatTester) -> None:
    await chat.assert_reply("li", chat.code_for("朝阳海关"), startswith="绑定成功：朝阳海关")


async def test_admin_code_binds_contact_person_as_admin(chat: ChatTester) -> None:
    await chat.assert_reply("tl-mp", f"绑定 {chat.code_for('市市场监督管理局', role='admin')}", contains="管理员")
    assert chat.rows(Liaison)[0].role == "admin"


async def test_several_liaisons_per_unit(chat: ChatTester) -> None:
    await chat.bound("a1", "市教育局")
    await chat.bound("a2", "市教育局")
    assert sorted(lia.user_id for lia in chat.rows(Liaison)) == ["a1", "a2"]


async def test_wrong_codes_are_rate_limited(chat: ChatTester) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS_PER_HOUR):
        await chat.assert_reply("guesser", "绑定 AAAAAAAA", contains="不正确")
    # Even the right code is refused now: guessing is throttled, not just wrong answers.
    await chat.assert_reply("guesser", f"绑定 {chat.code_for('市商务局')}", contains="尝试次数过多")
    assert chat.rows(Liaison) == []
    assert [a.action for a in chat.rows(AuditLog)].count("bind.failed") == MAX_FAILED_ATTEMPTS_PER_HOUR


async def test_unbind_after_reporting_keeps_records_and_rebinding_reuses_the_row(chat: ChatTester) -> None:
    await chat.bound("zhao", "市司法局")
    await chat.say("zhao", "今天在市政府广场开展集中宣传，发放资料200份")
    await chat.assert_reply("zhao", "解绑", contains="已解除与市司法局的绑定")
    [liaison] = chat.rows(Liaison)
    [record] = chat.rows(Activity)
    assert liaison.role == "unbound" and record.liaison_id == liaison.id
    await chat.bound("zhao", "市商务局")
    [again] = chat.rows(Liaison)
    assert (again.id, again.role) == (liaison.id, "liaison")
    await chat.assert_reply("zhao", "我的", contains="市商务局还没有报送记录")


async def test_unbind_is_audited_and_stops_reporting(chat: ChatTester) -> None:
    await chat.bound("zhao", "市司法局")
    await chat.assert_reply("zhao", "解绑", contains="已解除与市司法局的绑定")
    assert [lia.role for lia in chat.rows(Liaison)] == ["unbound"]
    assert [a.action for a in chat.rows(AuditLog)] == ["bind", "unbind"]
    await chat.assert_reply("zhao", "今天在市政府广场开展集中宣传，发放资料200份", contains="绑定 邀请码")
    assert chat.rows(Activity) == []


async def test_unbound_sender_cannot_file(chat: ChatTester) -> None:
    await chat.assert_reply("nobody", "【市商务局】今天在商业街开展集中宣传，发放资料300份", contains="绑定")
    assert chat.rows(Activity) == []


async def test_liaison_cannot_file_for_another_unit(chat: ChatTester) -> None:
    await chat.bound("kj", "市科技局")
    await chat.assert_reply("kj", "【市商务局】今天在商业街开展集中宣传，发放资料300份", contains="不能代市商务局报送")
    assert chat.rows(Activity) == []


async def test_contact_person_may_file_for_a_named_unit(chat: ChatTester) -> None:
    reply = "【市商务局】今天在商业街开展集中宣传，发放资料300份"
    await chat.assert_reply("tianlin", reply, contains=("市商务局", "300"))
    [activity] = chat.rows(Activity)
    assert activity.materials == 300
