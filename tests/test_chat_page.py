"""The sandbox chat page (/sandbox/): in Debian's Chromium at phone and desktop size, a liaison of
市商务局 binds with the unit's invite code, reports, sends a photo and sees the replies, then a
digest with its collage arrives live; a liaison answers the RSVP card by tapping 参加 and typing
names, taps the app menu, and the group chat shows what the group robot posted; over plain HTTP,
the page is absent without the sandbox and refuses what it must not take. Screenshots go to
test-artifacts/chat-*.png.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import aiohttp
from PIL import Image
from playwright.async_api import expect

from bot.workers.push import make_firing, make_sender
from scheduler.audiences import Recipient
from scheduler.clock import TZ, VirtualClock
from scheduler.executor import VirtualRunner
from scheduler.firing import queue
from scheduler.plan import PushKind, build_plan
from storage.campaign_status import CeremonyAttendee
from tests.harness import Harness, make_settings
from tests.push_harness import PushRig
from tests.test_browser import ARTIFACTS, chromium, phone_and_desktop, shoot

UNIT = "市商务局"
REPORT = "今天在新华路商圈开展集中宣传，发放资料200份，咨询40人次"
ROBOT_KEY = "693a91f6-7aaa-4bc4-97a0-0ec2bcfa5aaa"
NAMES = "王磊 13900001111、李娜 13900002222"


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def liaison_of(bot: Harness, unit: str) -> str:
    assert bot.chat_page is not None
    index = next(i for i, u in enumerate(bot.settings.units, start=1) if u.name == unit)
    return bot.chat_page.made_up_liaison(index, 1)


async def queue_digest(bot: Harness, user: str, tmp_path: Path) -> None:
    """A digest with its collage for ``user``, queued as firing queues one, then sent."""
    collage = tmp_path / "collage.jpg"
    collage.write_bytes(jpeg((40, 120, 200), (800, 600)))
    now = bot.clock.now()
    bot.runtime.db.call(
        lambda session: queue(
            session,
            key="digest:test",
            kind="digest",
            recipients=[Recipient("wecom", user, UNIT)],
            text="4月20日报送汇总\n今天 1 个单位报送了 1 项活动",
            now=now,
            not_after=None,
            image=collage,
        )
    )
    await make_sender(bot.runtime, bot.background).drain_due()


async def test_a_liaison_chats_through_the_page_and_sees_pushes_live(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path), chat_page=True) as bot, chromium() as browser:
        phone_context, desktop_context = await phone_and_desktop(browser)
        page = await phone_context.new_page()
        await page.goto(bot.url("/sandbox/"))
        await expect(page.locator("#who option").first).to_be_attached()
        await shoot(page, "chat-start-phone")
        user = liaison_of(bot, UNIT)
        await page.select_option("#who", user)
        await page.get_by_role("button", name="邀请码绑定").click()
        await expect(page.locator(".msg.bot .bubble").last).to_contain_text(f"绑定成功：{UNIT}")

        await page.fill("#text", REPORT)
        await page.get_by_role("button", name="发送", exact=True).click()
        await expect(page.locator(".msg.me .bubble").last).to_have_text(REPORT)
        await expect(page.locator(".msg.bot .bubble").last).to_contain_text(f"已记录（{UNIT}）")

        replies = await page.locator(".msg.bot").count()
        await page.set_input_files(
            "#photo-file", files=[{"name": "../../x.jpg", "mimeType": "image/jpeg", "buffer": jpeg((200, 80, 40))}]
        )
        await expect(page.locator(".msg.bot")).to_have_count(replies + 1)
        await expect(page.locator(".msg.me img")).to_have_count(1)
        photo_reply = await page.locator(".msg.bot .bubble").last.inner_text()
        assert photo_reply.strip(), "no reply to the photo"
        # What arrived is what the page uploaded, under the page's own name.
        photos = [m for m in bot.platform.media.values() if m.filename == "photo.jpg"]
        assert len(photos) == 1

        await queue_digest(bot, user, tmp_path)
        pushed = page.locator(".msg.bot .tag")
        await expect(pushed).to_have_count(2)  # the digest's text and its collage, unprompted
        await expect(page.locator(".msg.bot .bubble").filter(has_text="4月20日报送汇总")).to_have_count(1)
        collage = page.locator(".msg.bot .bubble.image img")
        await expect(collage).to_have_count(1)
        assert await collage.evaluate("img => img.complete && img.naturalWidth") == 800
        await shoot(page, "chat-liaison-phone")

        # Another window for the same person sees the pushes sent before it opened.
        desktop = await desktop_context.new_page()
        await desktop.goto(bot.url("/sandbox/"))
        await expect(desktop.locator("#who option").first).to_be_attached()
        await desktop.select_option("#who", user)
        await expect(desktop.locator(".msg.bot .tag")).to_have_count(2)
        await desktop.fill("#text", "我的")
        await desktop.keyboard.press("Enter")
        await expect(desktop.locator(".msg.bot").last).to_contain_text("新华路商圈")
        await shoot(desktop, "chat-liaison-desktop")
        await phone_context.close()
        await desktop_context.close()
    assert (ARTIFACTS / "chat-liaison-phone.png").exists()


async def test_without_the_sandbox_there_is_no_page(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path, WEEKBOT_SANDBOX="false")) as bot, aiohttp.ClientSession() as http:
        async with http.get(bot.url("/dash/")) as response:
            assert 'href="/sandbox/"' not in await response.text()
        for path in ("/sandbox/", "/sandbox", "/sandbox/people", "/sandbox/static/chat.js"):
            async with http.get(bot.url(path), allow_redirects=False) as response:
                assert response.status == 404, path
        async with http.post(bot.url("/sandbox/say"), json={"user": "wang", "text": "你好"}) as response:
            assert response.status == 404


async def test_the_page_takes_only_what_it_should(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path), chat_page=True) as bot, aiohttp.ClientSession() as http:
        async with http.get(bot.url("/sandbox/")) as response:
            assert response.status == 200 and "沙箱" in await response.text()
        async with http.get(bot.url("/dash/")) as response:  # the desk links the page when the sandbox is on
            assert 'href="/sandbox/"' in await response.text()
        for path in ("/sandbox/static/..%2Fchat_page.py", "/sandbox/static/chat.html.bak", "/sandbox/media/..%2F1"):
            async with http.get(bot.url(path)) as response:
                assert response.status == 404, path
        bad_bodies = [
            {"user": "../etc", "text": "你好"},
            {"user": "wang", "text": ""},
            {"user": "wang", "text": "你好", "extra": 1},
            {"user": "wang", "lat": 91, "lng": 0},
        ]
        for path, body in zip(("say", "say", "say", "location"), bad_bodies, strict=True):
            async with http.post(bot.url(f"/sandbox/{path}"), json=body) as response:
                assert response.status == 400, body
        form = aiohttp.FormData()
        form.add_field("user", "wang")
        form.add_field("photo", b"not an image", filename="../../evil.jpg", content_type="image/jpeg")
        async with http.post(bot.url("/sandbox/photo"), data=form) as response:
            assert response.status == 400
        assert bot.platform.media == {}
        async with http.post(bot.url("/sandbox/location"), json={"user": "wang", "lat": 41.57, "lng": 120.45}) as r:
            assert r.status == 200  # a location callback the bot answered, whatever it said
        async with http.get(bot.url("/sandbox/clock")) as response:
            assert await response.json() == {"virtual": False}  # a ManualClock is no rehearsal
        async with http.post(bot.url("/sandbox/clock/jump")) as response:
            assert response.status == 404


async def test_on_a_rehearsal_the_clock_panel_shows_time_and_jumps_to_the_next_push(tmp_path: Path) -> None:
    start = datetime(2026, 4, 13, 9, 0, tzinfo=TZ)  # before the first push
    clock = VirtualClock(start, 60)
    async with Harness(make_settings(tmp_path), clock, chat_page=True) as bot, aiohttp.ClientSession() as http:
        assert bot.chat_page is not None
        runner = VirtualRunner(build_plan(bot.settings), clock, make_firing(bot.runtime), lambda: None)
        bot.chat_page.rehearsal = runner
        upcoming = runner.next_push()
        assert upcoming is not None and upcoming.at > start
        async with http.get(bot.url("/sandbox/clock")) as response:
            state = await response.json()
        assert state["virtual"] and state["speed"] == 60 and state["label"].startswith("4月13日")
        assert state["next"]["kind"] == str(upcoming.kind) and state["can_jump"]
        async with http.post(bot.url("/sandbox/clock/jump")) as response:
            state = await response.json()
        # Time runs on from the push (nothing holds it in this test); an hour is a real minute.
        assert upcoming.at <= datetime.fromisoformat(state["now"]) < upcoming.at + timedelta(hours=1)
        assert not state["can_jump"]  # there: the runner fires it on its next tick


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


async def test_cards_the_app_menu_and_the_group_chat_on_the_page(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, WEEKBOT_GROUP_ROBOT_KEY=ROBOT_KEY)
    async with PushRig(tmp_path, settings, chat_page=True) as rig, chromium() as browser:
        bot, platform = rig.bot, rig.platform
        phone_context, desktop_context = await phone_and_desktop(browser)
        page = await phone_context.new_page()
        await page.goto(bot.url("/sandbox/"))
        await expect(page.locator("#who option").first).to_be_attached()
        user = liaison_of(bot, UNIT)
        await page.select_option("#who", user)
        await page.get_by_role("button", name="邀请码绑定").click()
        await expect(page.locator(".msg.bot .bubble").last).to_contain_text(f"绑定成功：{UNIT}")

        # The RSVP request fires at its plan time through the real firing and sender: a card, live.
        await rig.run_until(at(4, 14, 9, 45))
        card = page.locator(".card")
        await expect(card).to_have_count(1)
        await expect(card.locator(".card-button")).to_have_text(["参加", "不参加", "待定"])
        await shoot(page, "chat-card-phone")
        await card.get_by_role("button", name="参加", exact=True).click()
        await expect(page.locator(".msg.bot .bubble").last).to_contain_text("请回复参会人员姓名和手机号")
        assert len(platform.response_codes) == 2  # the send's, and the one WeCom issues with the click
        await rig.sender.drain()  # the card update the click queued (the push worker's job in serve)
        await expect(card).to_have_class("card answered")
        await expect(card.locator(".card-answered")).to_have_text("已回复：参加")
        for button in await card.locator(".card-button").all():
            await expect(button).to_be_disabled()
        await page.fill("#text", NAMES)
        await page.keyboard.press("Enter")
        await expect(page.locator(".msg.bot .bubble").last).to_contain_text(f"已登记{UNIT}参会人员：{NAMES}")
        assert [(a.name, a.phone) for a in bot.rows(CeremonyAttendee)] == [
            ("王磊", "13900001111"),
            ("李娜", "13900002222"),
        ]
        await shoot(page, "chat-card-answered-phone")

        # A day of the week: a report and a photo, then the app menu, installed from the page.
        rig.clock.set(at(4, 20, 10, 0))
        await page.fill("#text", REPORT)
        await page.keyboard.press("Enter")
        await expect(page.locator(".msg.bot .bubble").last).to_contain_text(f"已记录（{UNIT}）")
        replies = await page.locator(".msg.bot").count()
        await page.set_input_files(
            "#photo-file", files=[{"name": "x.jpg", "mimeType": "image/jpeg", "buffer": jpeg((200, 80, 40))}]
        )
        await expect(page.locator(".msg.bot")).to_have_count(replies + 1)
        assert await bot.background.media.run_until_idle() == 1
        assert "wecom" not in platform.menus
        await page.get_by_role("button", name="安装配置里的应用菜单").click()
        menu = page.locator("#menu")
        await expect(menu).to_be_visible()
        assert [b["name"] for b in platform.menus["wecom"]["button"]] == ["报送说明", "我的记录", "更多"]
        replies = await page.locator(".msg.bot").count()
        await menu.get_by_role("button", name="我的记录").click()
        await expect(page.locator(".note").last).to_have_text("点击了菜单「我的记录」")
        await expect(page.locator(".msg.bot")).to_have_count(replies + 1)
        by_menu = await page.locator(".msg.bot .bubble").last.inner_text()
        assert by_menu.startswith(f"{UNIT}已报送1条") and "新华路商圈" in by_menu
        await menu.get_by_role("button", name="更多").click()
        await expect(menu.get_by_role("button", name="帮助")).to_be_visible()
        # The open list of the rightmost item stays on the phone's screen.
        box = await menu.locator(".menu-sub:not([hidden])").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        await shoot(page, "chat-menu-phone")
        replies = await page.locator(".msg.bot").count()
        await menu.get_by_role("button", name="帮助").click()
        await expect(page.locator(".msg.bot")).to_have_count(replies + 1)
        await expect(page.locator(".msg.bot .bubble").last).to_contain_text("您已绑定")  # the help text
        await page.get_by_role("button", name="键盘").click()
        replies = await page.locator(".msg.bot").count()
        await page.fill("#text", "我的")
        await page.keyboard.press("Enter")
        await expect(page.locator(".msg.bot")).to_have_count(replies + 1)
        assert await page.locator(".msg.bot .bubble").last.inner_text() == by_menu

        # The contact's roll call has both names.
        desktop = await desktop_context.new_page()
        await desktop.goto(bot.url("/sandbox/"))
        await expect(desktop.locator("#who option").first).to_be_attached()
        await desktop.select_option("#who", bot.settings.contact.wecom_userids[0])
        await desktop.get_by_role("button", name="键盘").click()
        await desktop.fill("#text", "参会")
        await desktop.keyboard.press("Enter")
        await expect(desktop.locator(".msg.bot .bubble").last).to_contain_text(f"{UNIT}：{NAMES}")

        # The evening digest reaches the group robot and shows, live, in the 群聊 conversation.
        await desktop.select_option("#who", "#group")
        await expect(desktop.locator(".note")).to_have_text("活动工作群：群机器人发到群里的消息（只读）")
        await expect(desktop.locator("#compose")).to_be_hidden()
        rig.clock.set(at(4, 20, 21, 10))
        digest = next(p for p in build_plan(rig.settings) if p.kind == PushKind.DIGEST and p.at == rig.clock.now())
        assert await make_firing(bot.runtime).fire(digest, rig.clock.now())
        await rig.sender.drain()
        group = desktop.locator(".msg.bot .bubble")
        await expect(group).to_have_count(2)
        await expect(group.first).to_contain_text("今日汇总（4月20日）")
        await expect(group.first).to_contain_text(UNIT)
        collage = desktop.locator(".msg.bot .bubble.image img")
        await expect(collage).to_have_count(1)
        assert await collage.evaluate("img => img.complete && img.naturalWidth") > 0
        assert [m.msgtype for m in platform.robot_messages] == ["markdown", "image"]
        await shoot(desktop, "chat-group-desktop")
        # The liaison's own conversation did not get the group's copy.
        await expect(page.locator(".msg.bot .bubble").filter(has_text="今日汇总")).to_have_count(0)
        await phone_context.close()
        await desktop_context.close()
    assert (ARTIFACTS / "chat-card-answered-phone.png").exists()


async def test_taps_take_only_what_the_platform_offers(tmp_path: Path) -> None:
    async with PushRig(tmp_path, chat_page=True) as rig, aiohttp.ClientSession() as http:
        await rig.bot.bound("wangl", UNIT)
        await rig.run_until(at(4, 14, 9, 45))
        (task,) = rig.platform.cards
        refused = [
            ("card/click", {"user": "wangl", "task_id": "wb-nobody-sent", "key": "rsvp:yes"}, 409),
            ("card/click", {"user": "lina", "task_id": task, "key": "rsvp:yes"}, 409),  # not her card
            ("card/click", {"user": "wangl", "task_id": task, "key": "rsvp:later"}, 409),  # no such button
            ("card/click", {"user": "wangl", "task_id": "../x", "key": "rsvp:yes"}, 400),
            ("menu/click", {"user": "wangl", "key": "MY_RECORDS"}, 400),  # no menu installed yet
        ]
        for path, body, status in refused:
            async with http.post(rig.bot.url(f"/sandbox/{path}"), json=body) as response:
                assert response.status == status, (path, body)
        assert len(rig.platform.response_codes) == 1  # only the send's
        async with http.post(rig.bot.url("/sandbox/menu/install")) as response:
            assert response.status == 200
        async with http.post(rig.bot.url("/sandbox/menu/click"), json={"user": "wangl", "key": "NOPE"}) as response:
            assert response.status == 400
        async with http.post(rig.bot.url("/sandbox/menu/click"), json={"user": "wangl", "key": "HELP"}) as response:
            assert response.status == 200 and (await response.json())["reply"]
        for path in ("/sandbox/group/image/1", "/sandbox/group/image/x"):
            async with http.get(rig.bot.url(path)) as response:
                assert response.status == 404, path
