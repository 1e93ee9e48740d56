"""Photos end to end: webhook → job → download from the sandbox platform → Pillow → attach; what
the liaison's words about photos mean (no download needed) through the ChatTester."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageDraw

from storage.jobs import Job
from storage.models import Activity
from storage.outbox import OutboxMessage
from storage.photos import Photo, PhotoStatus
from tests.chat import ChatTester
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

UNIT = "市商务局"


def photo_bytes(seed: int, taken: datetime | None = None) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(600), rng.randrange(440)
        draw.rectangle((x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 200)), fill=rng.randrange(256))
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
    out = BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        await harness.bound("wang", UNIT)
        yield harness


async def process(bot: Harness) -> int:
    return await bot.background.media.run_until_idle()


async def test_photo_after_text_attaches_to_open_record(bot: Harness) -> None:
    await bot.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
    reply = await bot.send_photo("wang", photo_bytes(1, bot.clock.now()))
    assert reply and "关联到" in reply and "新华路商圈" in reply
    assert await process(bot) == 1
    [photo] = bot.rows(Photo)
    [record] = bot.rows(Activity)
    assert (photo.status, photo.activity_id, photo.outside_campaign) == (PhotoStatus.READY, record.id, False)
    store = bot.settings.data_dir / "photos"
    for rel in (photo.original_path, photo.web_path, photo.thumb_path):
        assert (store / rel).is_file()
    assert photo.taken_at is not None and photo.taken_at.date() == bot.clock.now().date()


async def test_photos_before_text_attach_to_the_report_that_follows(bot: Harness) -> None:
    for seed in (2, 3):
        reply = await bot.send_photo("wang", photo_bytes(seed))
        assert reply and "自动关联" in reply
        bot.clock.advance(timedelta(minutes=2))
    await bot.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
    await process(bot)
    [record] = bot.rows(Activity)
    assert [p.activity_id for p in bot.rows(Photo)] == [record.id, record.id]


async def test_photo_outside_window_waits_for_number(bot: Harness) -> None:
    await bot.say("wang", "4月20日在新华路商圈开展集中宣传，发放资料200份")
    bot.clock.advance(timedelta(hours=3))
    question = await bot.send_photo("wang", photo_bytes(4)) or ""
    assert "请回复“图 序号”" in question and "1. 4月20日（周一） · 集中宣传 · 新华路商圈" in question
    await process(bot)
    assert bot.rows(Photo)[0].activity_id is None
    reply = await bot.say("wang", "图 1")
    assert reply and "已将1张图片关联到第1条" in reply
    assert bot.rows(Photo)[0].activity_id == bot.rows(Activity)[0].id


async def test_same_photo_twice_is_attached_once_and_said(bot: Harness) -> None:
    await bot.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
    data = photo_bytes(5)
    await bot.send_photo("wang", data)
    await process(bot)
    # The same picture re-encoded smaller, as a phone would resend it.
    smaller = BytesIO()
    Image.open(BytesIO(data)).resize((320, 240)).save(smaller, "JPEG", quality=70)
    await bot.send_photo("wang", smaller.getvalue())
    await process(bot)
    first, second = bot.rows(Photo)
    assert (first.status, second.status) == (PhotoStatus.READY, PhotoStatus.DUPLICATE)
    assert second.activity_id is None
    [notice] = bot.rows(OutboxMessage)
    assert notice.recipient == "wang" and "已经收到过" in notice.text


async def test_non_image_is_refused_with_a_clear_message(bot: Harness) -> None:
    await bot.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
    await bot.send_photo("wang", b"%PDF-1.4 not a photo")
    await process(bot)
    [photo] = bot.rows(Photo)
    assert photo.status == PhotoStatus.REJECTED and photo.activity_id is None
    [notice] = bot.rows(OutboxMessage)
    assert "无法作为图片使用" in notice.text


async def test_photo_taken_before_the_campaign_is_flagged_not_refused(bot: Harness) -> None:
    await bot.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
    await bot.send_photo("wang", photo_bytes(6, datetime(2026, 3, 2, 10, 0)))
    await process(bot)
    [photo] = bot.rows(Photo)
    assert photo.status == PhotoStatus.READY and photo.outside_campaign and photo.activity_id is not None
    [notice] = bot.rows(OutboxMessage)
    assert "3月2日" in notice.text


async def test_download_failure_is_retried(bot: Harness) -> None:
    await bot.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
    bot.platform.inject("*", status=500, times=4)  # one whole bounded-retry round fails
    await bot.send_photo("wang", photo_bytes(7))
    assert await process(bot) == 1
    [job] = bot.rows(Job)
    assert job.status == "queued" and job.attempts == 1 and job.last_error
    bot.clock.advance(timedelta(minutes=1))
    assert await process(bot) == 1
    assert bot.rows(Photo)[0].status == PhotoStatus.READY


async def test_photo_jobs_survive_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with Harness(settings) as first:
        await first.bound("wang", UNIT)
        await first.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
        await first.send_photo("wang", photo_bytes(8))
        assert first.rows(Job)[0].status == "queued"  # the process stops before the worker ran
    async with Harness(settings, first.clock, first.platform) as second:
        assert await process(second) == 1
        assert second.rows(Photo)[0].status == PhotoStatus.READY


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatTester]:
    with ChatTester(make_settings(tmp_path)) as tester:
        await tester.bound("wang", UNIT)
        yield tester


async def test_photo_by_number_says_what_is_missing(chat: ChatTester) -> None:
    await chat.assert_reply("wang", "图 1", equals="没有第1条记录，发“我的”查看序号。")
    await chat.say("wang", "4月20日在新华路商圈开展集中宣传，发放资料200份")
    await chat.assert_reply("wang", "图 一", equals="请回复“图 序号”，序号见“我的”列表。")
    await chat.assert_reply("wang", "图 1", equals="没有待关联的图片。")
    chat.clock.advance(timedelta(hours=3))
    await chat.photo("wang")  # outside the window: waits for a number, its download queued
    assert [(job.kind, job.status) for job in chat.rows(Job)] == [("photo", "queued")]
    await chat.assert_reply("wang", "图 1", startswith="已将1张图片关联到第1条")
    assert [p.activity_id for p in chat.rows(Photo)] == [chat.records()[0].id]


async def test_a_photo_without_an_open_record_offers_the_last_three_by_their_stable_numbers(
    chat: ChatTester,
) -> None:
    places = ["新华路商圈", "朝阳大街", "市图书馆", "龙城区长宝社区", "市政务服务中心"]
    for day, place in enumerate(places, 20):
        await chat.say("wang", f"4月{day}日在{place}开展集中宣传，发放资料200份")
    await chat.assert_reply("wang", "撤回 4", startswith="已撤回")
    chat.clock.advance(timedelta(hours=3))
    lines = (await chat.photo("wang")).splitlines()
    assert lines[1] == "如果属于已报送的记录，请回复“图 序号”："
    assert [line.split(" · ")[0] for line in lines[2:]] == [
        "2. 4月21日（周二）",
        "3. 4月22日（周三）",
        "5. 4月24日（周五）",
    ]
    assert [line.split(" · ")[-2] for line in lines[2:]] == ["朝阳大街", "市图书馆", "市政务服务中心"]


async def test_a_photo_after_a_withdrawal_goes_to_the_last_record_still_active(chat: ChatTester) -> None:
    await chat.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
    await chat.say("wang", "今天在朝阳大街举办商标知识讲座，参加40人")
    await chat.assert_reply("wang", "撤回", startswith="已撤回")
    reply = await chat.photo("wang")
    assert "关联到" in reply and "新华路商圈" in reply and "朝阳大街" not in reply
    [first] = chat.records()  # the active one
    assert [p.activity_id for p in chat.rows(Photo)] == [first.id]
