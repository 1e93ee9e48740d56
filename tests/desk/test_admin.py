"""The contact person's running-the-campaign pages over HTTP against the real app: 单位与联络员
(codes, bind, unbind) and 推送计划 (states, skip and re-enable honoured by the executor, an ad-hoc
notice with its confirmation step); CSRF, admin-only and the audit rows for each change."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from bot.workers.push import make_firing
from handlers.contact_routes import invitation
from scheduler.plan import PlannedPush, build_plan
from storage.campaign_status import FiredPush
from storage.models import AuditLog, Liaison
from storage.outbox import OutboxMessage
from storage.push_skips import SkippedPush
from tests.desk_fixtures import CONTACT, OTHER, OTHER_LIAISON, UNIT, UNIT_LIAISON, DeskClient, unit_id
from tests.harness import Harness

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

# Tomorrow evening's nudge: still pending at the seeded clock (2026-04-20 13:05); its audience
# (units silent that day) is both seeded liaisons.
NUDGE_KEY = "report_nudge:2026-04-21"
NONCE = re.compile(r'name="nonce" value="([0-9a-f]+)"')


@pytest.fixture
async def desk(desk: DeskClient) -> DeskClient:
    """Every test here is the contact person's: the desk client already logged in."""
    await desk.log_in(CONTACT)
    return desk


def liaison(bot: Harness, user_id: str) -> Liaison:
    return next(row for row in bot.rows(Liaison) if row.user_id == user_id)


def audits(bot: Harness, action: str) -> list[AuditLog]:
    return [row for row in bot.rows(AuditLog) if row.action == action]


def planned(bot: Harness, key: str) -> PlannedPush:
    return next(push for push in build_plan(bot.settings) if push.key == key)


def name_liaison(bot: Harness, user_id: str, name: str) -> None:
    def change(session: Session) -> None:
        row = session.exec(select(Liaison).where(Liaison.user_id == user_id)).one()
        row.name, row.phone = name, "13900001111"
        session.add(row)

    bot.runtime.db.call(change)


# ---- who may ----


async def test_new_pages_and_actions_are_for_the_contact_person_with_csrf(bot: Harness) -> None:
    wang = liaison(bot, UNIT_LIAISON)
    posts = {
        f"/dash/liaisons/{wang.id}/unbind": {},
        "/dash/units/bind": {"user_id": "zhangsan", "unit": str(unit_id(bot, UNIT))},
        "/dash/pushes/skip": {"key": NUDGE_KEY},
        "/dash/pushes/enable": {"key": NUDGE_KEY},
        "/dash/pushes/notice": {"audience": "全部", "text": "明早9点开会"},
        "/dash/pushes/notice/send": {"audience": "全部", "text": "明早9点开会", "nonce": "0" * 32},
    }
    async with DeskClient(bot) as stranger:
        assert (await stranger.get("/dash/units"))[0] == 403
        for path, form in posts.items():
            assert (await stranger.post(path, form))[0] == 403, path
    async with DeskClient(bot) as reader:
        await reader.log_in(UNIT_LIAISON)
        csrf = await reader.csrf()
        for path in ("/dash/units", "/dash/pushes"):
            status, body = await reader.get(path)
            assert status == 403 and "没有权限" in body and bot.code_for(OTHER) not in body, path
        for path, form in posts.items():
            assert (await reader.post(path, {**form, "csrf": csrf}))[0] == 403, path
    async with DeskClient(bot) as contact:
        await contact.log_in(CONTACT)
        for path, form in posts.items():
            for token in (None, "forged"):
                data = {**form, **({} if token is None else {"csrf": token})}
                status, body = await contact.post(path, data)
                assert status == 403 and "页面已过期" in body, (path, token)
    assert liaison(bot, UNIT_LIAISON).role == "liaison"
    assert bot.rows(SkippedPush) == [] and not [m for m in bot.rows(OutboxMessage) if m.kind == "notice"]
    assert not [a for a in bot.rows(AuditLog) if a.actor.startswith("web:") and a.action != "desk.login"]


# ---- 单位与联络员 ----


async def test_units_page_shows_codes_invitations_and_liaisons_by_name(bot: Harness, desk: DeskClient) -> None:
    name_liaison(bot, UNIT_LIAISON, "王磊")
    status, page = await desk.get("/dash/units")
    assert status == 200
    for unit in (UNIT, OTHER):
        assert bot.code_for(unit) in page
    assert invitation(bot.runtime.deps, UNIT) in page
    assert "王磊" in page and "13900001111" in page and "企业微信" in page
    assert 'class="copy"' in page
    assert ">wang<" not in page  # the name leads; the userid is only a detail beside it


async def test_unbind_on_the_desk_ends_the_binding_like_the_chat(bot: Harness, desk: DeskClient) -> None:
    wang = liaison(bot, UNIT_LIAISON)
    status, location = await desk.post(f"/dash/liaisons/{wang.id}/unbind", {"csrf": await desk.csrf("/dash/units")})
    assert status == 303 and location == "/dash/units?done=unbind"
    assert liaison(bot, UNIT_LIAISON).role == "unbound"
    [row] = audits(bot, "unbind")
    assert row.actor == f"web:wecom:{CONTACT}" and row.target == UNIT
    assert row.detail["user_id"] == UNIT_LIAISON and row.detail["how"] == "web"
    reply = await bot.say(UNIT_LIAISON, "今天在商务局大厅开展集中宣传，发放资料50份")
    assert reply and "绑定" in reply  # no longer reports for the unit
    status, page = await desk.get("/dash/units")
    assert f'data-user="{UNIT_LIAISON}"' not in page
    # Again: nothing changes, nothing more is audited.
    status, _ = await desk.post(f"/dash/liaisons/{wang.id}/unbind", {"csrf": await desk.csrf("/dash/units")})
    assert status == 409 and len(audits(bot, "unbind")) == 1


async def test_the_contact_person_cannot_be_unbound_on_the_desk(bot: Harness, desk: DeskClient) -> None:
    contact = liaison(bot, CONTACT)
    status, body = await desk.post(f"/dash/liaisons/{contact.id}/unbind", {"csrf": await desk.csrf("/dash/units")})
    assert status == 409 and "不能在后台解除" in body
    assert liaison(bot, CONTACT).role == "admin" and audits(bot, "unbind") == []


async def test_bind_a_wecom_userid_to_a_unit(bot: Harness, desk: DeskClient) -> None:
    csrf = await desk.csrf("/dash/units")
    form = {"csrf": csrf, "user_id": "zhangsan", "unit": str(unit_id(bot, OTHER)), "name": "张三", "phone": ""}
    status, location = await desk.post("/dash/units/bind", form)
    assert status == 303 and location == "/dash/units?done=bind"
    bound = liaison(bot, "zhangsan")
    assert (bound.channel, bound.role, bound.unit_id, bound.name) == ("wecom", "liaison", unit_id(bot, OTHER), "张三")
    [row] = audits(bot, "bind")[-1:]
    assert row.actor == f"web:wecom:{CONTACT}" and row.target == OTHER
    assert row.detail == {"role": "liaison", "how": "web", "channel": "wecom", "user_id": "zhangsan", "name": "张三"}
    reply = await bot.say("zhangsan", "今天在海关大厅开展集中宣传，发放资料30份")
    assert reply and OTHER in reply
    # Moving someone bound elsewhere re-binds the same row and says where from.
    moved = {**form, "user_id": OTHER_LIAISON, "unit": str(unit_id(bot, UNIT)), "name": ""}
    assert (await desk.post("/dash/units/bind", moved))[0] == 303
    li = liaison(bot, OTHER_LIAISON)
    assert li.unit_id == unit_id(bot, UNIT) and len([r for r in bot.rows(Liaison) if r.user_id == OTHER_LIAISON]) == 1
    assert audits(bot, "bind")[-1].detail["before"] == OTHER


async def test_bind_refuses_bad_input_and_changes_nothing(bot: Harness, desk: DeskClient) -> None:
    csrf = await desk.csrf("/dash/units")
    before = bot.rows(Liaison)
    cases = [
        ({"user_id": "a b", "unit": str(unit_id(bot, UNIT))}, 400),
        ({"user_id": "x" * 65, "unit": str(unit_id(bot, UNIT))}, 400),
        ({"user_id": "zhangsan", "unit": "99999"}, 400),
        ({"user_id": "zhangsan", "unit": "abc"}, 400),
        ({"user_id": "zhangsan", "unit": str(unit_id(bot, UNIT)), "phone": "<script>"}, 400),
        ({"user_id": CONTACT, "unit": str(unit_id(bot, UNIT))}, 400),
    ]
    for form, expected in cases:
        status, body = await desk.post("/dash/units/bind", {"csrf": csrf, **form})
        assert status == expected and "<script>" not in body, form
    assert bot.rows(Liaison) == before and audits(bot, "bind")[-1].actor != f"web:wecom:{CONTACT}"


# ---- 推送计划 ----


async def test_plan_lists_every_push_with_kind_audience_text_and_recipients(bot: Harness, desk: DeskClient) -> None:
    name_liaison(bot, UNIT_LIAISON, "王磊")
    status, page = await desk.get("/dash/pushes")
    assert status == 200
    for push in build_plan(bot.settings):
        assert f'id="{push.key}"' in page
    nudge = page[page.index(f'id="{NUDGE_KEY}"') :].split("</article>")[0]
    assert "报送提醒" in nudge and "当天未报送的单位" in nudge and 'data-state="pending"' in nudge
    assert planned(bot, NUDGE_KEY).text in nudge and "王磊" in nudge and OTHER_LIAISON in nudge
    assert "不发送" in nudge
    request = page[page.index('id="rsvp_request:2026-04-14"') :].split("</article>")[0]
    assert 'data-state="expired"' in request and "不发送" not in request  # its day passed unfired
    assert f"{OTHER} · {OTHER_LIAISON}" in page and "错误码 60020" in page  # failures moved here


async def test_a_skipped_push_is_never_fired_and_re_enabling_lets_it_go(bot: Harness, desk: DeskClient) -> None:
    push = planned(bot, NUDGE_KEY)
    csrf = await desk.csrf("/dash/pushes")
    status, location = await desk.post("/dash/pushes/skip", {"csrf": csrf, "key": NUDGE_KEY})
    assert status == 303 and location.startswith("/dash/pushes?done=skip")
    [skipped] = bot.rows(SkippedPush)
    assert skipped.key == NUDGE_KEY and skipped.skipped_by == f"web:wecom:{CONTACT}"
    [row] = audits(bot, "push.skip")
    assert row.target == NUDGE_KEY and row.actor == f"web:wecom:{CONTACT}"
    page = (await desk.get("/dash/pushes"))[1]
    assert 'data-state="skipped"' in page[page.index(f'id="{NUDGE_KEY}"') :].split("</article>")[0]

    # The executor, a fresh one as after a restart, at the push's time: nothing is queued or claimed.
    assert await make_firing(bot.runtime).fire(push, push.at) is None
    assert [m for m in bot.rows(OutboxMessage) if m.key.startswith(NUDGE_KEY)] == []
    assert bot.rows(FiredPush) == []

    status, _ = await desk.post("/dash/pushes/enable", {"csrf": csrf, "key": NUDGE_KEY})
    assert status == 303 and bot.rows(SkippedPush) == []
    assert [r.target for r in audits(bot, "push.enable")] == [NUDGE_KEY]
    assert await make_firing(bot.runtime).fire(push, push.at) == 2
    sent = sorted(m.recipient for m in bot.rows(OutboxMessage) if m.key.startswith(f"{NUDGE_KEY}:"))
    assert sent == [OTHER_LIAISON, UNIT_LIAISON]
    page = (await desk.get("/dash/pushes"))[1]
    fired = page[page.index(f'id="{NUDGE_KEY}"') :].split("</article>")[0]
    assert 'data-state="sending"' in fired and "待发 2" in fired and "不发送" not in fired
    # A fired push can no longer be skipped.
    status, _ = await desk.post("/dash/pushes/skip", {"csrf": csrf, "key": NUDGE_KEY})
    assert status == 409 and bot.rows(SkippedPush) == []


async def test_skip_refuses_unknown_and_past_pushes(bot: Harness, desk: DeskClient) -> None:
    csrf = await desk.csrf("/dash/pushes")
    for key in ("report_nudge:2030-01-01", "", "<x>"):
        assert (await desk.post("/dash/pushes/skip", {"csrf": csrf, "key": key}))[0] == 404, key
    assert (await desk.post("/dash/pushes/skip", {"csrf": csrf, "key": "rsvp_request:2026-04-14"}))[0] == 409
    assert bot.rows(SkippedPush) == [] and audits(bot, "push.skip") == []


async def test_notice_is_sent_only_after_its_confirmation_step(bot: Harness, desk: DeskClient) -> None:
    csrf = await desk.csrf("/dash/pushes")
    status, page = await desk.post("/dash/pushes/notice", {"csrf": csrf, "audience": "全部", "text": "明早9点开会"})
    assert status == 200 and "确认发送" in page and "【田林通知】明早9点开会" in page
    assert re.search(r"<b>2</b> 位联络员", page)
    assert [m for m in bot.rows(OutboxMessage) if m.kind == "notice"] == []
    found = NONCE.search(page)
    assert found
    confirm = {"csrf": csrf, "audience": "全部", "text": "明早9点开会", "nonce": found.group(1)}
    status, location = await desk.post("/dash/pushes/notice/send", confirm)
    assert status == 303 and location == "/dash/pushes?done=notice"
    notices = [m for m in bot.rows(OutboxMessage) if m.kind == "notice"]
    assert sorted(m.recipient for m in notices) == [OTHER_LIAISON, UNIT_LIAISON]
    assert {m.text for m in notices} == {"【田林通知】明早9点开会"}
    [row] = audits(bot, "notice")
    assert row.actor == f"web:wecom:{CONTACT}" and row.detail["recipients"] == 2 and row.detail["text"] == "明早9点开会"
    # The same confirmation pressed again sends nothing more.
    assert (await desk.post("/dash/pushes/notice/send", confirm))[0] == 303
    assert len([m for m in bot.rows(OutboxMessage) if m.kind == "notice"]) == 2 and len(audits(bot, "notice")) == 1


async def test_notice_to_silent_units_and_bad_forms(bot: Harness, desk: DeskClient) -> None:
    csrf = await desk.csrf("/dash/pushes")
    status, page = await desk.post("/dash/pushes/notice", {"csrf": csrf, "audience": "未报", "text": "请今晚报送"})
    assert status == 200 and "没有可以发送的对象" in page and "nonce" not in page  # both reported today
    bad = [
        {"audience": "所有人", "text": "x"},
        {"audience": "全部", "text": "   "},
        {"audience": "全部", "text": "长" * 501},
    ]
    for form in bad:
        assert (await desk.post("/dash/pushes/notice", {"csrf": csrf, **form}))[0] == 400, form
        assert (await desk.post("/dash/pushes/notice/send", {"csrf": csrf, "nonce": "a" * 32, **form}))[0] == 400
    good = {"csrf": csrf, "audience": "全部", "text": "x"}
    for nonce in ("", "ABC", "a" * 31, "a" * 33):
        assert (await desk.post("/dash/pushes/notice/send", {**good, "nonce": nonce}))[0] == 400, nonce
    assert [m for m in bot.rows(OutboxMessage) if m.kind == "notice"] == [] and audits(bot, "notice") == []
