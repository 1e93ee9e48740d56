"""The contact person's running-the-campaign pages in a real browser (Debian's Chromium through
Playwright, phone 390 px and desktop): copying an invite code and unbinding on 单位与联络员,
skipping and re-enabling a push and sending a notice through its confirmation on 推送计划, the
summary mail's confirmation, and the overview grid's fixed unit column on a phone.

Screenshots go to test-artifacts/ like the other browser tests'.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import BrowserContext, Dialog, Page, expect

from storage.models import Liaison
from storage.outbox import OutboxMessage
from storage.push_skips import SkippedPush
from tests.desk_fixtures import CONTACT, OTHER_LIAISON, UNIT, UNIT_LIAISON, Inbox, free_port, mailing_to, seeded
from tests.harness import Harness
from tests.test_browser import chromium, log_in, phone_and_desktop, shoot, shoot_both

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

NUDGE_KEY = "report_nudge:2026-04-21"  # pending at the seeded clock


async def contact_pages(
    bot: Harness, phone_context: BrowserContext, desktop_context: BrowserContext
) -> tuple[Page, Page]:
    """The contact person logged in on the desktop, and the same session on the phone."""
    page = await desktop_context.new_page()
    await log_in(bot, page, CONTACT)
    await phone_context.add_cookies(await desktop_context.cookies())
    return page, await phone_context.new_page()


class Dialogs:
    """Answers the page's confirm() boxes (``accept`` says how) and keeps what they asked."""

    def __init__(self, page: Page, accept: bool = True) -> None:
        self.accept, self.asked = accept, list[str]()
        page.on("dialog", self.answer)

    async def answer(self, dialog: Dialog) -> None:
        self.asked.append(dialog.message)
        await (dialog.accept() if self.accept else dialog.dismiss())


async def test_units_page_copies_a_code_and_unbinds(tmp_path: Path) -> None:
    async with seeded(tmp_path) as bot, chromium() as browser:
        phone_context, desktop_context = await phone_and_desktop(browser)
        await desktop_context.grant_permissions(["clipboard-read", "clipboard-write"])
        page, phone = await contact_pages(bot, phone_context, desktop_context)
        await page.get_by_role("link", name="单位与联络员").click()
        unit = page.locator(f'.unit-binding[data-unit="{UNIT}"]')
        await expect(unit.locator(".invite-code")).to_have_text(bot.code_for(UNIT))
        copy = unit.locator(f'button.copy[data-copy="#{await unit.locator(".invite-code").get_attribute("id")}"]')
        await expect(copy).to_have_text("复制邀请码")
        await copy.click()
        await expect(copy).to_have_text("已复制")
        assert await page.evaluate("navigator.clipboard.readText()") == bot.code_for(UNIT)
        await unit.locator("summary").click()
        await expect(unit.get_by_role("button", name="复制邀请文字")).to_be_visible()
        await shoot_both(page, phone, "units")

        dialogs = Dialogs(page)
        await unit.locator(f'.liaison[data-user="{UNIT_LIAISON}"]').get_by_role("button", name="解绑").click()
        await expect(page.locator("#done-note")).to_have_text("已解绑。")
        assert dialogs.asked and UNIT in dialogs.asked[0]
        await expect(page.locator(f'.liaison[data-user="{UNIT_LIAISON}"]')).to_have_count(0)
        wang = next(row for row in bot.rows(Liaison) if row.user_id == UNIT_LIAISON)
        assert wang.role == "unbound"
        await shoot(page, "units-unbound-desktop")


async def test_push_plan_skip_enable_and_notice(tmp_path: Path) -> None:
    async with seeded(tmp_path) as bot, chromium() as browser:
        phone_context, desktop_context = await phone_and_desktop(browser)
        page, phone = await contact_pages(bot, phone_context, desktop_context)
        await page.get_by_role("link", name="推送计划").click()
        await shoot_both(page, phone, "push-plan")
        Dialogs(page)
        nudge = f'[data-key="{NUDGE_KEY}"]'
        await page.locator(nudge).get_by_role("button", name="不发送").click()
        await expect(page.locator(nudge)).to_have_attribute("data-state", "skipped")
        assert [row.key for row in bot.rows(SkippedPush)] == [NUDGE_KEY]
        await page.locator(nudge).get_by_role("button", name="恢复发送").click()
        await expect(page.locator(nudge)).to_have_attribute("data-state", "pending")
        assert bot.rows(SkippedPush) == []

        # The notice on the phone: the form, then the confirmation, then it is queued.
        await phone.goto(bot.url("/dash/pushes"))
        await phone.select_option("select[name=audience]", value="全部")
        await phone.fill("textarea[name=text]", "明早9点在市局开会")
        await phone.get_by_role("button", name="下一步：确认接收人").click()
        await expect(phone.locator("h1")).to_have_text("确认发送通知")
        await expect(phone.locator("#notice-reach")).to_contain_text("2 位联络员")
        await expect(phone.locator("#notice-text")).to_have_text("【田林通知】明早9点在市局开会")
        assert [m for m in bot.rows(OutboxMessage) if m.kind == "notice"] == []
        await shoot(phone, "notice-confirm-phone")
        await phone.get_by_role("button", name="确认发送").click()
        await expect(phone.locator("#done-note")).to_contain_text("通知已排队")
        notices = [m for m in bot.rows(OutboxMessage) if m.kind == "notice"]
        assert sorted(m.recipient for m in notices) == [OTHER_LIAISON, UNIT_LIAISON]


async def test_summary_mail_asks_first(tmp_path: Path) -> None:
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with seeded(tmp_path, mailing_to(tmp_path, port)) as bot, chromium() as browser:
            phone_context, desktop_context = await phone_and_desktop(browser)
            page, _ = await contact_pages(bot, phone_context, desktop_context)
            dialogs = Dialogs(page, accept=False)
            await page.get_by_role("button", name="发送总结邮件").click()
            await expect(page.locator("h1")).to_have_text("宣传周总览")  # dismissed: still here
            assert dialogs.asked and bot.settings.contact.email in dialogs.asked[0] and inbox.messages == []
            dialogs.accept = True
            await page.get_by_role("button", name="发送总结邮件").click()
            await expect(page.locator("h1")).to_have_text("总结邮件已发送")
            await shoot(page, "mail-sent-desktop")
    finally:
        smtp.stop()
    assert len(inbox.messages) == 1


async def test_overview_grid_keeps_the_unit_column_on_a_phone(tmp_path: Path) -> None:
    async with seeded(tmp_path) as bot, chromium() as browser:
        phone_context, desktop_context = await phone_and_desktop(browser)
        desktop, phone = await contact_pages(bot, phone_context, desktop_context)
        await phone.goto(bot.url("/dash/"))
        await expect(phone.locator(".scroll-hint")).to_be_visible()
        scroller = phone.locator(".scroll-x")
        first = phone.locator("#unit-grid tbody tr").first.locator("td").first
        day = phone.locator("#unit-grid tbody tr").first.locator("td").nth(1)
        assert await first.evaluate("td => getComputedStyle(td).position") == "sticky"
        assert await scroller.evaluate("el => el.scrollWidth > el.clientWidth")  # it does scroll
        before, day_before = await first.bounding_box(), await day.bounding_box()
        await scroller.evaluate("el => { el.scrollLeft = 240; }")
        await phone.wait_for_function("document.querySelector('.scroll-x').scrollLeft > 0")
        after, day_after = await first.bounding_box(), await day.bounding_box()
        assert before and after and day_before and day_after
        assert abs(after["x"] - before["x"]) < 1  # the unit column stayed
        assert day_after["x"] < day_before["x"] - 100  # the days moved under it
        await shoot(phone, "overview-grid-scrolled-phone")

        # 按类型 fits: no sideways scrolling, the last column (稿件) inside the card.
        by_type = phone.locator("#by-type")
        assert await by_type.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
        last = await by_type.locator("thead th").last.bounding_box()
        assert last and last["x"] + last["width"] <= 390
        await expect(by_type.locator("thead th").last).to_have_text("稿件")

        await expect(desktop.locator(".scroll-hint")).to_be_hidden()
