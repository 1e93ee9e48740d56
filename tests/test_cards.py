"""Template cards end to end: the plan's pushes go to WeCom members as button cards, clicks come
back as signed and encrypted ``template_card_event`` callbacks through the real webhook, and the
card is updated through the outbox with a ResponseCode used once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from scheduler.cards import CardKind
from scheduler.clock import TZ
from scheduler.plan import PushKind, build_plan
from storage.campaign_status import CeremonyAttendee, CeremonyDecline, SummarySubmission
from storage.cards import CardTask
from storage.models import Activity
from storage.outbox import OutboxMessage
from tests.harness import make_settings
from tests.push_harness import PushRig

pytestmark = pytest.mark.usefixtures("backend")

EXPIRED = "这张卡片已过期"


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def card_to(rig: PushRig, user: str, kind: CardKind) -> str:
    """The task_id of the newest card of ``kind`` the platform delivered to ``user``."""
    found = [
        task_id
        for task_id, card in rig.platform.cards.items()
        if card.touser == user and card.card["button_list"][0]["key"].startswith(f"{kind}:")
    ]
    assert found, f"no {kind} card reached {user}"
    return found[-1]


async def rsvp_card_for(rig: PushRig, user: str, unit: str) -> str:
    await rig.bot.bound(user, unit)
    await rig.run_until(at(4, 14, 9, 45))
    return card_to(rig, user, CardKind.RSVP)


def test_plan_shows_the_rsvp_request_as_a_button_card(tmp_path: Path) -> None:
    plan = build_plan(make_settings(tmp_path))
    request = next(push for push in plan if push.kind == PushKind.RSVP_REQUEST).as_json()
    assert request["msgtype"] == "template_card"
    assert [button["text"] for button in request["buttons"]] == ["参加", "不参加", "待定"]
    digest = next(push for push in plan if push.kind == PushKind.DIGEST).as_json()
    assert digest["msgtype"] == "text" and "buttons" not in digest


async def test_rsvp_by_click_then_names(tmp_path: Path) -> None:
    async with PushRig(tmp_path) as rig:
        task = await rsvp_card_for(rig, "wangl", "市商务局")
        assert rig.platform.cards[task].card["card_type"] == "button_interaction"
        reply = await rig.bot.click("wangl", task, "rsvp:yes")
        assert reply and "请回复参会人员姓名和手机号" in reply
        await rig.sender.drain()
        assert rig.platform.cards[task].replaced_name == "已回复：参加"
        reply = await rig.say("wangl", "王磊 13900001111、李娜 13800001111")
        assert reply and "已登记市商务局参会人员：王磊 13900001111、李娜 13800001111" in reply
        roll_call = await rig.say("tianlin", "参会") or ""
        assert "市商务局：王磊 13900001111、李娜 13800001111" in roll_call
        await rig.sender.drain()
        # The click's code updated the card; the names spent nothing more.
        assert rig.platform.calls_to("message/update_template_card") == 1


async def test_rsvp_by_click_with_the_stored_name_then_yes(tmp_path: Path) -> None:
    async with PushRig(tmp_path) as rig:
        await rig.bot.bound("wangl", "市商务局")
        assert "已记下" in (await rig.say("wangl", "王磊 13900001111") or "")
        await rig.run_until(at(4, 14, 9, 45))
        task = card_to(rig, "wangl", CardKind.RSVP)
        reply = await rig.bot.click("wangl", task, "rsvp:yes")
        assert reply == "参会人员是王磊 13900001111吗？回复“是”或发送姓名和手机号。"
        assert "已登记市商务局参会人员：王磊 13900001111" in (await rig.say("wangl", "是") or "")
        assert [(a.name, a.phone) for a in rig.bot.rows(CeremonyAttendee)] == [("王磊", "13900001111")]


async def test_rsvp_by_typing_only_updates_the_card_too(tmp_path: Path) -> None:
    async with PushRig(tmp_path) as rig:
        task = await rsvp_card_for(rig, "wangl", "市商务局")
        assert "已登记" in (await rig.say("wangl", "参会 王磊 13900001111") or "")
        await rig.sender.drain()
        assert rig.platform.cards[task].replaced_name == "已回复：参加"
        # The send's own ResponseCode did it, and is now spent.
        (row,) = rig.bot.rows(CardTask)
        assert row.answer == "yes" and row.response_code_used_at is not None
        assert all(code.used_at is not None for code in rig.platform.response_codes.values())


async def test_a_retried_click_has_one_effect(tmp_path: Path) -> None:
    async with PushRig(tmp_path) as rig:
        task = await rsvp_card_for(rig, "wangl", "市商务局")
        user = rig.bot.wecom("wangl")
        code = rig.platform.click(task, "wangl", "rsvp:no")
        xml = user.card_click_xml(task, "rsvp:no", code, rig.clock.now())
        first = await user.post(xml, rig.clock.now())
        again = await user.post(xml, rig.clock.now())
        assert first == again and "不参加启动仪式" in (first[1] or "")
        assert len(rig.bot.rows(CeremonyDecline)) == 1
        updates = [row for row in rig.bot.rows(OutboxMessage) if row.kind == "card_update"]
        assert len(updates) == 1
        await rig.sender.drain()
        assert rig.platform.cards[task].replaced_name == "已回复：不参加"
        rig.new_messages()
        # A unit that declined is not chased.
        chases = await rig.run_until(at(4, 15, 10, 15))
        assert "wangl" not in chases[-1].users


async def test_maybe_records_nothing_and_leaves_the_card_open(tmp_path: Path) -> None:
    async with PushRig(tmp_path) as rig:
        task = await rsvp_card_for(rig, "wangl", "市商务局")
        assert "待定" in (await rig.bot.click("wangl", task, "rsvp:maybe") or "")
        await rig.sender.drain()
        assert rig.platform.cards[task].replaced_name is None
        assert not rig.bot.rows(CeremonyDecline) and not rig.bot.rows(CeremonyAttendee)
        # The card still works: 参加 later updates it with the newest click's code.
        await rig.bot.click("wangl", task, "rsvp:yes")
        await rig.sender.drain()
        assert rig.platform.cards[task].replaced_name == "已回复：参加"


async def test_a_click_on_an_expired_card_gets_a_polite_reply(tmp_path: Path) -> None:
    async with PushRig(tmp_path) as rig:
        task = await rsvp_card_for(rig, "wangl", "市商务局")
        rig.clock.set(at(4, 17, 10, 0))  # the ceremony has begun
        reply = await rig.bot.click("wangl", task, "rsvp:yes")
        assert reply and reply.startswith(EXPIRED)
        assert not rig.bot.rows(CeremonyAttendee)
        # A task nobody sent gets the same answer, not an error.
        user = rig.bot.wecom("wangl")
        status, reply = await user.post(
            user.card_click_xml("wb-unknown", "rsvp:yes", "x", rig.clock.now()), rig.clock.now()
        )
        assert status == 200 and reply and reply.startswith(EXPIRED)


async def test_the_type_question_answered_by_click(tmp_path: Path) -> None:
    async with PushRig(tmp_path, start=at(4, 20, 10, 0)) as rig:
        await rig.bot.bound("wangl", "市商务局")
        reply = await rig.say("wangl", "今天上午在新华路商圈搞了个活动，来了50人")
        assert reply and "哪类活动" in reply  # the passive reply stays text
        await rig.sender.drain()
        task = card_to(rig, "wangl", CardKind.ACTIVITY_TYPE)
        assert len(rig.platform.cards[task].card["button_list"]) == 6
        reply = await rig.bot.click("wangl", task, "type:training")
        assert reply and reply.startswith("已补充")
        (record,) = rig.bot.rows(Activity)
        assert record.type == "training"
        await rig.sender.drain()
        assert rig.platform.cards[task].replaced_name == "已选择：培训讲座"
        # The question is answered: the card's other buttons mean nothing now.
        rig.platform.cards[task].replaced_name = None  # as if the update had not arrived yet
        assert (await rig.bot.click("wangl", task, "type:media") or "").startswith(EXPIRED)
        assert rig.bot.rows(Activity)[0].type == "training"


async def test_the_summary_button_records_the_summary(tmp_path: Path) -> None:
    async with PushRig(tmp_path, start=at(4, 26, 9, 0)) as rig:
        await rig.bot.bound("wangl", "市商务局")
        await rig.run_until(at(4, 26, 9, 15))
        task = card_to(rig, "wangl", CardKind.SUMMARY)
        reply = await rig.bot.click("wangl", task, "summary:sent")
        assert reply and "工作总结已报送" in reply
        assert [row.how for row in rig.bot.rows(SummarySubmission)] == ["liaison"]
        await rig.sender.drain()
        assert rig.platform.cards[task].replaced_name == "已回复：已发送总结"
        rig.new_messages()
        later = await rig.run_until(at(4, 27, 9, 15))
        assert all("wangl" not in delivery.users for delivery in later)
