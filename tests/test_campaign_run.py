"""The whole campaign on a virtual clock: scripted liaisons talk to the real webhook, the plan
runs, the sender delivers to the sandbox platform, and every push is checked for time and audience."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from scheduler.clock import TZ
from storage.campaign_status import CeremonyCheckIn, SummarySubmission
from storage.outbox import OutboxMessage
from tests.harness import make_settings
from tests.push_harness import Delivery, PushRig

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

TEMPLATE = "tmpl-ipweek"
MEMBERS = {"wangl": "市商务局", "lihg": "朝阳海关", "kjzhang": "市科技局"}
COUNTY = {"jpzhao": "建平县知识产权局"}
EDU = "o_edu_openid"  # 市教育局's liaison follows the Official Account


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def with_template(settings: Settings) -> Settings:
    mp = settings.channels.mp.model_copy(update={"template_id": TEMPLATE})
    return settings.model_copy(update={"channels": settings.channels.model_copy(update={"mp": mp})})


def summary(deliveries: list[Delivery]) -> list[tuple[datetime, str, frozenset[str]]]:
    return [(d.at, d.kind, d.users) for d in deliveries]


def endpoint_for(delivery: Delivery, user: str) -> str:
    return next(m.endpoint for m in delivery.messages if user in m.touser)


async def bind_everyone(rig: PushRig) -> None:
    assert await rig.say("tianlin", "帮助")
    for user, unit in {**MEMBERS, **COUNTY}.items():
        await rig.bot.bound(user, unit)
    reply = await rig.mp_say(EDU, f"绑定 {rig.bot.code_for('市教育局')}")
    assert reply and reply.startswith("绑定成功")


async def test_whole_campaign(tmp_path: Path) -> None:
    everyone = frozenset({*MEMBERS, *COUNTY, EDU})
    async with PushRig(tmp_path, with_template(make_settings(tmp_path))) as rig:
        await bind_everyone(rig)
        log: list[Delivery] = []

        # ---- ceremony: RSVP, chases to the unconfirmed, reminders to the confirmed, check-in ----
        log += await rig.run_until(at(4, 14, 11, 5))
        assert "已登记市商务局参会人员：王磊 13900001111" in (await rig.say("wangl", "参会 王磊 13900001111") or "")
        log += await rig.run_until(at(4, 15, 11, 5))
        assert "张伟" in (await rig.say("lihg", "参加启动仪式的是法规科张伟，电话13812345678") or "")
        assert "李娜" in (await rig.mp_say(EDU, "参会 李娜 13700001234") or "")
        log += await rig.run_until(at(4, 17, 8, 45))
        assert "签到成功" in (await rig.say("wangl", "签到") or "")
        roll_call = await rig.say("tianlin", "参会") or ""
        assert "已签到（1）：市商务局" in roll_call and "朝阳海关" in roll_call.split("未到")[1]

        # ---- the week: a unit that reported gets no nudge that evening ----
        log += await rig.run_until(at(4, 20, 10, 5))
        assert "已记录" in (
            await rig.say("wangl", "今天上午在新华路商圈开展集中宣传，发放宣传资料300份，现场咨询50人次") or ""
        )
        log += await rig.run_until(at(4, 21, 10, 5))
        await rig.say("lihg", "今天在朝阳海关监管场所开展侵权货物宣传展示，企业代表25人参观")
        await rig.say("jpzhao", "今天在建平县城广场集中宣传，发放资料500份")
        log += await rig.run_until(at(4, 22, 19, 5))

        # ---- the push worker dies at 19:05 and comes back at 20:35: the 19:40 nudge goes out late ----
        rig.clock.set(at(4, 22, 20, 35))
        await rig.restart()
        log += await rig.run_until(at(4, 23, 10, 5))
        await rig.say("kjzhang", "今天走访了3家企业，开展专利布局指导")

        # ---- crash after the 04-23 nudge was queued but before it was sent ----
        await rig.runner.run_until(at(4, 23, 19, 45))  # fired, not drained
        await rig.restart()
        await rig.sender.drain()
        log.append(rig.delivery(at(4, 23, 19, 40), "report_nudge"))
        log += await rig.run_until(at(4, 24, 10, 5))
        await rig.say("wangl", "今天在万达广场开展知识产权宣传，发放资料200份")
        await rig.mp_say(EDU, "今天在市第一中学开展知识产权进校园活动，参与学生200人")
        log += await rig.run_until(at(4, 25, 10, 5))
        assert "已登记市科技局的工作总结已报送" in (await rig.say("kjzhang", "总结已发送至邮箱，请查收") or "")

        # ---- summaries: reminders only to units whose summary is not in ----
        log += await rig.run_until(at(4, 27, 10, 5))
        assert "已登记：朝阳海关总结已交" in (await rig.say("tianlin", "已交 海关") or "")
        log += await rig.run_until(at(4, 29, 23, 55))

    contact = frozenset({"tianlin"})
    expected = [
        (at(4, 14, 9, 40), "rsvp_request", frozenset({*MEMBERS, EDU})),
        (at(4, 15, 10, 10), "rsvp_chase", frozenset({"lihg", "kjzhang", EDU})),
        (at(4, 16, 10, 10), "rsvp_chase", frozenset({"kjzhang"})),
        (at(4, 16, 15, 20), "ceremony_reminder", frozenset({"wangl", "lihg", EDU})),
        (at(4, 17, 7, 50), "ceremony_reminder", frozenset({"wangl", "lihg", EDU})),
        (at(4, 17, 8, 20), "checkin_open", frozenset({"wangl", "lihg", EDU})),
        (at(4, 20, 8, 40), "week_kickoff", everyone),
        (at(4, 20, 19, 40), "report_nudge", everyone - {"wangl"}),
        (at(4, 20, 21, 10), "digest", contact),
        (at(4, 21, 19, 40), "report_nudge", frozenset({"wangl", "kjzhang", EDU})),
        (at(4, 21, 21, 10), "digest", contact),
        (at(4, 22, 19, 40), "report_nudge", everyone),  # sent late, at 20:35, after the restart
        (at(4, 22, 21, 10), "digest", contact),
        (at(4, 23, 19, 40), "report_nudge", everyone - {"kjzhang"}),
        (at(4, 23, 21, 10), "digest", contact),
        (at(4, 24, 19, 40), "report_nudge", frozenset({"lihg", "kjzhang", "jpzhao"})),
        (at(4, 24, 21, 10), "digest", contact),
        (at(4, 25, 21, 10), "digest", contact),  # Saturday: digest, no nudge
        (at(4, 26, 9, 10), "summary_reminder", everyone - {"kjzhang"}),
        (at(4, 26, 21, 10), "digest", contact),
        (at(4, 27, 8, 20), "digest", contact),
        (at(4, 27, 9, 10), "summary_reminder", everyone - {"kjzhang"}),
        (at(4, 28, 9, 10), "summary_reminder", everyone - {"kjzhang", "lihg"}),
        (at(4, 28, 17, 40), "final_rollup", contact),
    ]
    assert summary(log) == expected

    # Official Account: inside 48 h of the follower's last message a customer-service message,
    # outside it the template.
    by_time = {d.at: d for d in log}
    assert endpoint_for(by_time[at(4, 14, 9, 40)], EDU) == "message/custom/send"
    assert endpoint_for(by_time[at(4, 15, 10, 10)], EDU) == "message/template/send"  # 49 h after binding
    assert endpoint_for(by_time[at(4, 16, 15, 20)], EDU) == "message/custom/send"  # wrote at 04-15 11:05
    assert endpoint_for(by_time[at(4, 20, 8, 40)], EDU) == "message/template/send"
    assert endpoint_for(by_time[at(4, 26, 9, 10)], EDU) == "message/custom/send"  # wrote on 04-24

    # Nothing reached anyone twice: each push, one message per recipient.
    for delivery in log:
        pushes = [m for m in delivery.messages if m.endpoint != "message/update_template_card"]
        counts = Counter(user for m in pushes for user in m.touser)
        assert set(counts.values()) == {1}, (delivery.at, delivery.kind, counts)

    first_digest = by_time[at(4, 20, 21, 10)].messages[0].content
    assert first_digest.startswith("今日汇总（4月20日）：共1场活动")
    assert "市商务局：1场（集中宣传），发放资料300份，咨询50人次" in first_digest
    assert "朝阳海关" in first_digest.split("未报")[1]
    rollup = by_time[at(4, 28, 17, 40)].messages[0].content
    assert "总结已交（2）" in rollup and "市科技局（4月25日" in rollup and "朝阳海关（4月27日" in rollup
    assert "市商务局" in rollup.split("未交")[1]


async def test_state_rows_record_who_and_how(tmp_path: Path) -> None:
    async with PushRig(tmp_path, start=at(4, 17, 8, 30)) as rig:
        await bind_everyone(rig)
        await rig.say("wangl", "签到")
        await rig.say("kjzhang", "总结已发送")
        await rig.say("tianlin", "已交 建平县局")
        checkins = rig.bot.rows(CeremonyCheckIn)
        assert [(c.user_id, c.how, c.at) for c in checkins] == [("wangl", "text", at(4, 17, 8, 30))]
        submissions = {(s.actor, s.how) for s in rig.bot.rows(SummarySubmission)}
        assert submissions == {("wecom:kjzhang", "liaison"), ("wecom:tianlin", "admin")}


async def test_restart_after_the_ceremony_sends_no_ceremony_reminder(tmp_path: Path) -> None:
    async with PushRig(tmp_path, start=at(4, 16, 9, 5)) as rig:
        await bind_everyone(rig)
        await rig.say("wangl", "参会 王磊 13900001111")
        log = await rig.run_until(at(4, 16, 16, 5))
        assert [(d.at, d.kind, d.users) for d in log] == [
            (at(4, 16, 10, 10), "rsvp_chase", frozenset({"lihg", "kjzhang", EDU})),
            (at(4, 16, 15, 20), "ceremony_reminder", frozenset({"wangl"})),
        ]
        # Down from 16:05 until 09:40 on the ceremony day: the morning reminder and the check-in
        # notice expired at 09:00 and are never sent.
        rig.clock.set(at(4, 17, 9, 40))
        await rig.restart()
        assert await rig.run_until(at(4, 17, 23, 5)) == []
        assert rig.new_messages() == ()


def campaign_in(settings: Settings, start: date, end: date, ceremony: datetime) -> Settings:
    return settings.model_copy(
        update={
            "campaign": settings.campaign.model_copy(update={"week_start": start, "week_end": end}),
            "ceremony": settings.ceremony.model_copy(update={"at": ceremony}),
        }
    )


def days_of(log: list[Delivery], kind: str) -> list[date]:
    return [d.at.date() for d in log if d.kind == kind]


async def test_week_with_holidays_and_a_make_up_saturday(tmp_path: Path) -> None:
    settings = campaign_in(make_settings(tmp_path), date(2026, 5, 3), date(2026, 5, 9), at(4, 30, 9, 0))
    async with PushRig(tmp_path, settings, start=at(4, 20, 9, 5)) as rig:
        await bind_everyone(rig)
        log = await rig.run_until(at(5, 14, 0, 5))
    # 05-03..05 are Labour Day holidays; Saturday 05-09 is a make-up working day.
    assert days_of(log, "report_nudge") == [date(2026, 5, d) for d in (6, 7, 8, 9)]
    assert days_of(log, "summary_reminder") == [date(2026, 5, 9), date(2026, 5, 11), date(2026, 5, 12)]
    assert days_of(log, "final_rollup") == [date(2026, 5, 12)]
    # Nobody reported and the Official Account follower went quiet with no template configured.
    assert {d.users for d in log if d.kind == "report_nudge"} == {frozenset({*MEMBERS, *COUNTY})}


async def test_week_ending_before_the_national_day_holiday(tmp_path: Path) -> None:
    settings = campaign_in(make_settings(tmp_path), date(2026, 9, 24), date(2026, 9, 30), at(9, 22, 9, 0))
    async with PushRig(tmp_path, settings, start=at(9, 14, 9, 5)) as rig:
        await bind_everyone(rig)
        log = await rig.run_until(at(10, 12, 0, 5))
    # Sunday 09-20 is a make-up working day: it counts as the 2nd working day before the ceremony.
    assert days_of(log, "rsvp_request") == [date(2026, 9, 18)]
    assert days_of(log, "rsvp_chase") == [date(2026, 9, 20), date(2026, 9, 21)]
    # 09-25..27 (Mid-Autumn) have no nudge; the summary is due after the 10-01..07 holiday.
    assert days_of(log, "report_nudge") == [date(2026, 9, d) for d in (24, 28, 29, 30)]
    assert days_of(log, "summary_reminder") == [date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9)]
    assert [d.at for d in log if d.kind == "final_rollup"] == [at(10, 9, 17, 40)]
    assert days_of(log, "digest")[-1] == date(2026, 10, 8)


async def test_rows_end_sent_and_keys_name_push_channel_and_recipient(tmp_path: Path) -> None:
    async with PushRig(tmp_path) as rig:
        await bind_everyone(rig)
        await rig.run_until(at(4, 14, 10, 5))
        rows = rig.bot.rows(OutboxMessage)
    assert {row.key for row in rows} == {
        "rsvp_request:2026-04-14:wecom:wangl",
        "rsvp_request:2026-04-14:wecom:lihg",
        "rsvp_request:2026-04-14:wecom:kjzhang",
        f"rsvp_request:2026-04-14:mp:{EDU}",
    }
    assert {(row.status, row.errcode, row.sent_at) for row in rows} == {("sent", 0, at(4, 14, 9, 40))}
    assert {row.not_after for row in rows} == {at(4, 15, 0, 0)}
