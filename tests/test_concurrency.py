"""Races that only a real database shows: WeChat retrying a callback while the first delivery is
still being handled, and two service processes draining one outbox. On PostgreSQL the writers
really run in parallel (a pool of four threads, or two engines); SQLite serialises them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.runtime import Runtime
from bot.wechat_api import RetryPolicy
from bot.workers.background import open_background
from bot.workers.push import make_sender
from storage.models import Activity, InboundMessage
from storage.outbox import OutboxMessage, put
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        yield harness


async def test_a_callback_delivered_eight_times_at_once_is_one_record(bot: Harness) -> None:
    await bot.bound("wangl", "市商务局")
    user = bot.wecom("wangl")
    places = ["新华路商圈", "朝阳大街商圈", "市图书馆", "市民广场"]  # four rounds: the race is timing
    for msg_id, place in enumerate(places, start=9001):
        xml = user.xml(bot.clock.now(), "text", {"Content": f"今天在{place}开展集中宣传，发放资料300份"}, msg_id=msg_id)
        answers = await asyncio.gather(*(user.post(xml, bot.clock.now()) for _ in range(8)))
        assert {status for status, _ in answers} == {200}
        replies = {reply for _, reply in answers}
        assert len(replies) == 1 and place in (replies.pop() or "")
    assert len([row for row in bot.rows(InboundMessage) if row.msg_type == "text"]) == 1 + len(places)
    assert sorted(row.location for row in bot.rows(Activity)) == sorted(places)


async def test_two_processes_draining_one_outbox_send_each_row_once(bot: Harness) -> None:
    users = [f"u{n:03d}" for n in range(300)]

    def write(session) -> None:
        for n, user in enumerate(users):
            put(
                session,
                key=f"race:{user}",
                kind="report_nudge",
                channel="wecom",
                recipient=user,
                text=f"第{n % 7}条",
                now=bot.clock.now(),
            )

    bot.runtime.db.call(write)
    # A second process: its own engine and pool, its own API clients, the same database.
    other = Runtime.create(bot.settings, bot.clock)
    other_background = await open_background(other, policy=RetryPolicy(base_delay=0), run=False)
    try:
        first, second = make_sender(bot.runtime, bot.background), make_sender(other, other_background)
        attempted = await asyncio.gather(first.drain_due(), second.drain_due())
    finally:
        await other_background.close()
        other.close()
    assert sum(attempted) == len(users)
    received = sorted(user for message in bot.platform.messages for user in message.touser)
    assert received == users
    assert {row.status for row in bot.rows(OutboxMessage)} == {"sent"}
