"""The desk in a real browser: Debian's headless Chromium, driven by Playwright, against the real
app on loopback. Logs in through the link 后台 sends, filters, opens a photo, downloads every
export and opens the files, and sees strangers, reused links and other units refused.

Screenshots of every page, phone- and desktop-sized, go to test-artifacts/.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import docx
import openpyxl
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.conftest import ROOT
from tests.desk_fixtures import (
    CONTACT,
    OTHER,
    SEEDED_ACTIVITIES,
    SEEDED_PHOTOS,
    UNIT,
    UNIT_LIAISON,
    login_path,
    seeded,
    unit_id,
)
from tests.harness import Harness

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
WAIT_MS = 15_000


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests drive Debian's chromium package."
            " Install it with `make system-deps` (never `playwright install`)."
        )
    async with async_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (user-data-dir).
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def phone_and_desktop(browser: Browser) -> tuple[BrowserContext, BrowserContext]:
    phone = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    desktop = await browser.new_context(viewport=DESKTOP, accept_downloads=True)
    for context in (phone, desktop):
        context.set_default_timeout(WAIT_MS)
    return phone, desktop


async def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def shoot_both(desktop: Page, phone: Page, name: str) -> None:
    """The desktop page as it is, and the same URL on the phone."""
    await shoot(desktop, f"{name}-desktop")
    await phone.goto(desktop.url)
    await shoot(phone, f"{name}-phone")


async def log_in(bot: Harness, page: Page, user_id: str, shot: str = "") -> str:
    """Open the link 后台 sends and press the button; returns the link (now used up)."""
    link = bot.url(await login_path(bot, user_id))
    await page.goto(link)
    if shot:
        await shoot(page, shot)
    await page.get_by_role("button", name="进入后台").click()
    await page.wait_for_load_state()
    return link


def check_export(path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        cells = {cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row}
        assert {UNIT, OTHER, 200} <= cells, fmt
    elif fmt == "docx":
        text = "\n".join(paragraph.text for paragraph in docx.Document(str(path)).paragraphs)
        assert UNIT in text, fmt
    else:
        with zipfile.ZipFile(path) as pack:
            assert pack.testzip() is None
            photos = [name for name in pack.namelist() if name.endswith(".jpg")]
        assert len(photos) == SEEDED_PHOTOS and any(name.startswith(f"{UNIT}/") for name in photos), photos


async def test_contact_person_uses_the_desk(tmp_path: Path) -> None:
    async with seeded(tmp_path) as bot, chromium() as browser:
        phone_context, desktop_context = await phone_and_desktop(browser)
        page = await desktop_context.new_page()
        link = await log_in(bot, page, CONTACT, shot="login-desktop")
        assert page.url == bot.url("/dash/")
        await expect(page.locator(".stat b").first).to_have_text(str(SEEDED_ACTIVITIES))
        await phone_context.add_cookies(await desktop_context.cookies())
        phone = await phone_context.new_page()
        await shoot_both(page, phone, "overview")

        await page.get_by_role("link", name="活动", exact=True).click()
        await page.select_option("select[name=unit]", label=OTHER)
        await page.get_by_role("button", name="筛选").click()
        await expect(page.locator("#result-count")).to_have_text("共 1 条")
        await expect(page.locator(".item")).to_have_count(1)
        await expect(page.locator(".item")).to_contain_text("海关大厅")
        await shoot_both(page, phone, "activities-filtered")

        await page.locator(".item .thumbs a").first.click()
        full = page.locator("#full-photo")
        await expect(full).to_be_visible()
        assert await full.evaluate("img => img.complete && img.naturalWidth") > 0
        await shoot_both(page, phone, "photo")

        await page.locator("dl.facts a").first.click()  # the photo's record
        await expect(page.get_by_role("button", name="保存修改")).to_be_visible()
        await shoot_both(page, phone, "activity")
        pages = {"unit": f"/dash/units/{unit_id(bot, UNIT)}", "photo-wall": "/dash/photos", "pushes": "/dash/pushes"}
        for name, path in pages.items():
            await page.goto(bot.url(path))
            await shoot_both(page, phone, name)

        await page.goto(bot.url("/dash/"))
        for fmt, label in (("xlsx", "Excel 活动台账"), ("docx", "Word 总结初稿"), ("zip", "照片包（ZIP）")):
            async with page.expect_download() as download_info:
                await page.get_by_role("link", name=f"下载{label}").click()
            download = await download_info.value
            assert download.suggested_filename.endswith(f".{fmt}")
            saved = tmp_path / f"export.{fmt}"
            await download.save_as(saved)
            check_export(saved, fmt)

        response = await page.goto(link)
        assert response is not None and response.status == 403
        await expect(page.locator("h1")).to_have_text("链接已失效")
        await shoot_both(page, phone, "reused-link")


async def test_strangers_and_other_units_are_refused(tmp_path: Path) -> None:
    async with seeded(tmp_path) as bot, chromium() as browser:
        phone_context, desktop_context = await phone_and_desktop(browser)
        page, phone = await desktop_context.new_page(), await phone_context.new_page()
        response = await page.goto(bot.url("/dash/"))
        assert response is not None and response.status == 403
        await expect(page.locator("h1")).to_have_text("请先登录")
        await shoot_both(page, phone, "not-logged-in")

        await log_in(bot, page, UNIT_LIAISON)
        assert "/dash/units/" in page.url
        await expect(page.locator("h1")).to_have_text(UNIT)
        await expect(page.locator(".who")).to_contain_text("只读")
        await phone_context.add_cookies(await desktop_context.cookies())
        await shoot_both(page, phone, "liaison-unit")

        response = await page.goto(bot.url(f"/dash/units/{unit_id(bot, OTHER)}"))
        assert response is not None and response.status == 403
        await expect(page.locator("h1")).to_have_text("没有权限")
        assert "海关大厅" not in await page.content()
        await shoot_both(page, phone, "other-unit-refused")
