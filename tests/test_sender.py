"""The outbox sender against the sandbox platform: batching, WeCom's per-member limits, retries,
expiry, the Official Account's 48 h window, images, and a crash between lease and result."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.workers.push import make_sender
from scheduler.clock import TZ
from scheduler.digest import DigestWriter, collage
from scheduler.sender import SEND_RETRY, OutboxSender, SenderPolicy
from storage.models import Liaison
from storage.outbox import OutboxMessage, put
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

NOW = datetime(2026, 4, 21, 19, 41, tzinfo=TZ)


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        harness.clock.set(NOW)
        yield harness


def queue(bot: Harness, recipients: list[str], text: str = "提醒", channel: str = "wecom", **fields: object) -> None:
    def write(session) -> None:
        for user in recipients:
            put(
                session,
                key=f"{fields.get('key', 'test')}:{channel}:{user}:{text}",
                kind="report_nudge",
                channel=channel,
                recipient=user,
                text=text,
                now=bot.clock.now(),
                not_after=fields.get("not_after"),  # type: ignore[arg-type]
                extra=fields.get("extra"),  # type: ignore[arg-type]
            )

    bot.runtime.db.call(write)


def rows(bot: Harness) -> list[OutboxMessage]:
    return sorted(bot.rows(OutboxMessage), key=lambda row: row.id or 0)


def sender(bot: Harness, **policy: object) -> OutboxSender:
    if not policy:
        return make_sender(bot.runtime, bot.background)
    background = bot.background
    return OutboxSender(bot.runtime.db, bot.clock, background.wecom, background.mp, "", SenderPolicy(**policy))  # type: ignore[arg-type]


async def test_same_text_is_batched_1000_per_call(bot: Harness) -> None:
    users = [f"u{n:04d}" for n in range(2500)]
    queue(bot, users)
    queue(bot, ["other"], text="另一条")
    assert await sender(bot).drain() == 2501
    sends = [m for m in bot.platform.messages if m.endpoint == "message/send"]
    assert sorted(len(m.touser) for m in sends) == [1, 500, 1000, 1000]
    assert {row.status for row in rows(bot)} == {"sent"}


async def test_per_member_limits_defer_rather_than_drop(bot: Harness) -> None:
    queue(bot, ["wangl"] * 1, text="第0条")
    for n in range(1, 5):
        queue(bot, ["wangl"], text=f"第{n}条")
    worker = sender(bot, per_minute=3, per_hour=4)
    await worker.drain()
    assert len(bot.platform.messages_to("wangl")) == 3
    deferred = [row for row in rows(bot) if row.status == "pending"]
    assert [row.next_attempt_at for row in deferred] == [NOW + timedelta(minutes=1)] * 2
    bot.clock.advance(timedelta(minutes=1))
    await worker.drain()
    assert len(bot.platform.messages_to("wangl")) == 4  # the hourly limit holds the fifth
    (last,) = [row for row in rows(bot) if row.status == "pending"]
    assert last.next_attempt_at == NOW + timedelta(hours=1)
    bot.clock.set(NOW + timedelta(hours=1))
    await worker.drain()
    assert [row.status for row in rows(bot)] == ["sent"] * 5
    assert bot.platform.calls_to("message/send") == 5


TRIES_PER_CALL = 4  # the harness's RetryPolicy: each drain's API call is already tried 4 times


async def test_transient_failures_retry_with_backoff(bot: Harness) -> None:
    queue(bot, ["wangl"])
    worker = sender(bot, retry=replace(SEND_RETRY, max_attempts=3))
    bot.platform.inject("message/send", errcode=-1, times=2 * TRIES_PER_CALL)
    await worker.drain()
    (row,) = rows(bot)
    assert (row.status, row.attempts, row.errcode) == ("pending", 1, -1)
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    bot.clock.advance(timedelta(minutes=1))
    await worker.drain()
    (row,) = rows(bot)
    assert row.next_attempt_at == NOW + timedelta(minutes=3)  # the delay doubled
    bot.clock.advance(timedelta(minutes=2))
    await worker.drain()
    (row,) = rows(bot)
    assert (row.status, row.errcode, row.attempts) == ("sent", 0, 3)
    assert len(bot.platform.messages_to("wangl")) == 1


async def test_transient_failures_give_up_after_max_attempts(bot: Harness) -> None:
    queue(bot, ["wangl"])
    worker = sender(bot, retry=replace(SEND_RETRY, max_attempts=2))
    bot.platform.inject("message/send", errcode=-1, times=2 * TRIES_PER_CALL)
    await worker.drain()
    bot.clock.advance(timedelta(minutes=1))
    await worker.drain()
    (row,) = rows(bot)
    assert (row.status, row.errcode, row.finished_at) == ("failed", -1, NOW + timedelta(minutes=1))
    digest = DigestWriter(bot.settings, None).day_digest(bot.runtime.db.session(), NOW.date(), row.finished_at)
    assert "推送失败（1）：联系人·wangl（report_nudge，错误码-1）" in digest.text


async def test_permanent_errors_fail_at_once(bot: Harness) -> None:
    bot.platform.invalid_users.add("gone")
    queue(bot, ["wangl", "gone"])
    await sender(bot).drain()
    assert {row.recipient: (row.status, row.errcode) for row in rows(bot)} == {
        "wangl": ("sent", 0),
        "gone": ("failed", 81013),
    }


async def test_rows_past_not_after_expire_unsent(bot: Harness) -> None:
    queue(bot, ["wangl"], not_after=NOW - timedelta(minutes=1))
    queue(bot, ["lihg"], not_after=NOW + timedelta(minutes=1))
    await sender(bot).drain()
    assert {row.recipient: row.status for row in rows(bot)} == {"wangl": "expired", "lihg": "sent"}
    assert bot.platform.messages_to("wangl") == []


def follower(bot: Harness, openid: str, last_seen: datetime) -> None:
    def write(session) -> None:
        unit_id = session.exec(select(Liaison.unit_id)).first() or 1
        session.add(Liaison(channel="mp", user_id=openid, unit_id=unit_id, bound_at=last_seen, last_seen_at=last_seen))

    bot.runtime.db.call(write)


async def test_official_account_48_hour_window(bot: Harness) -> None:
    await bot.say("tianlin", "帮助")
    follower(bot, "o_recent", NOW - timedelta(hours=47, minutes=59))
    follower(bot, "o_quiet", NOW - timedelta(hours=48))
    queue(bot, ["o_recent", "o_quiet"], channel="mp")
    await sender(bot).drain()
    assert [m.endpoint for m in bot.platform.messages] == ["message/custom/send"]
    outcome = {row.recipient: (row.status, row.errcode) for row in rows(bot)}
    assert outcome == {"o_recent": ("sent", 0), "o_quiet": ("failed", 45015)}
    digest = DigestWriter(bot.settings, None).day_digest(bot.runtime.db.session(), NOW.date(), NOW).text
    assert "无法送达（1）：联系人·o_quiet（report_nudge，错误码45015）" in digest


async def test_template_outside_the_window_and_when_wechat_says_so(bot: Harness) -> None:
    follower(bot, "o_recent", NOW - timedelta(hours=1))
    follower(bot, "o_quiet", NOW - timedelta(days=5))
    queue(bot, ["o_recent", "o_quiet"], channel="mp")
    # WeChat's idea of the window wins: a 45015 on the customer-service call falls back too.
    bot.platform.inject("message/custom/send", errcode=45015)
    background = bot.background
    worker = OutboxSender(bot.runtime.db, bot.clock, background.wecom, background.mp, "tmpl-1")
    await worker.drain()
    assert [(m.endpoint, m.touser) for m in bot.platform.messages] == [
        ("message/template/send", ("o_recent",)),
        ("message/template/send", ("o_quiet",)),
    ]
    assert bot.platform.messages[0].payload["data"] == {"content": {"value": "提醒"}}
    assert {row.extra["via"] for row in rows(bot)} == {"template"}


async def test_image_rows_upload_once_and_send_the_image(bot: Harness, tmp_path: Path) -> None:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    image = collage([buffer.getvalue()] * 3)
    assert image is not None
    path = tmp_path / "digest.jpg"
    path.write_bytes(image)
    queue(bot, ["tianlin", "wangl"], text="（图片）", extra={"image": str(path)})
    await sender(bot).drain()
    (message,) = bot.platform.messages
    assert message.msgtype == "image" and set(message.touser) == {"tianlin", "wangl"}
    assert bot.platform.media[message.content].data == image
    assert bot.platform.calls_to("media/upload") == 1


async def test_crash_after_lease_is_retried_once_the_lease_lapses(bot: Harness) -> None:
    queue(bot, ["wangl"])
    crashed = sender(bot)
    claimed = await bot.runtime.db.run(lambda session: crashed._claim(session, NOW))
    assert [row.recipient for row in claimed] == ["wangl"]  # leased, then the process died
    restarted = sender(bot)
    assert await restarted.drain() == 0  # still leased
    bot.clock.advance(timedelta(minutes=2))
    assert await restarted.drain() == 1
    (row,) = rows(bot)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(bot.platform.messages_to("wangl")) == 1


async def test_drains_take_turns_so_a_lease_lapsing_mid_send_never_resends(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On fast virtual time a claim's two-minute lease can lapse while the API call is still out;
    # a second drain in the same process (the virtual runner settling a push) must wait its turn.
    queue(bot, ["wangl"])
    worker = sender(bot, duplicate_check_seconds=0)
    assert worker.wecom is not None
    send_text = worker.wecom.send_text

    async def slow_send_text(*args: object, **kwargs: object) -> object:
        bot.clock.advance(timedelta(minutes=10))
        await asyncio.sleep(0.05)
        return await send_text(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(worker.wecom, "send_text", slow_send_text)

    async def second_drain() -> int:
        await asyncio.sleep(0.01)  # starts while the first is waiting on the API
        return await worker.drain()

    assert await asyncio.gather(worker.drain(), second_drain()) == [1, 0]
    assert len(bot.platform.messages_to("wangl")) == 1
