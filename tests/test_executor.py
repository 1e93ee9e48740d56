"""APScheduler in production: jobs rebuilt from the plan, late pushes sent while still useful,
expired and already-fired pushes never sent; the virtual runner holding its clock for each push."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.runtime import Runtime
from bot.sandbox.state import PlatformState
from bot.workers.push import make_firing, make_sender
from scheduler.clock import TZ, SystemClock, VirtualClock
from scheduler.executor import SchedulerExecutor, VirtualRunner
from scheduler.plan import Audience, PlannedPush, PushKind
from storage.campaign_status import claim_push
from storage.outbox import OutboxMessage
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


async def test_scheduler_fires_due_and_late_pushes_once(tmp_path: Path) -> None:
    clock = SystemClock()
    runtime = Runtime.create(make_settings(tmp_path), clock)
    now = clock.now()

    def push(kind: PushKind, at: timedelta, expires: timedelta) -> PlannedPush:
        return PlannedPush(now + at, kind, Audience.CONTACT, f"{kind}", now + expires)

    late = push(PushKind.RSVP_REQUEST, -timedelta(hours=1), timedelta(hours=1))
    expired = push(PushKind.RSVP_CHASE, -timedelta(hours=2), -timedelta(hours=1))
    # Far enough ahead that a slow start under load cannot fire it before get_jobs() looks.
    soon = push(PushKind.CHECKIN_OPEN, timedelta(seconds=1.5), timedelta(hours=1))
    fired_before = push(PushKind.WEEK_KICKOFF, -timedelta(minutes=5), timedelta(hours=1))
    runtime.db.call(lambda session: claim_push(session, fired_before.key, fired_before.kind, now))
    woken: list[int] = []
    executor = SchedulerExecutor(
        [late, expired, soon, fired_before], clock, make_firing(runtime), lambda: woken.append(1)
    )
    await executor.start()
    try:
        assert sorted(job.id for job in executor.scheduler.get_jobs()) == sorted([late.key, soon.key])
        # Until both are queued: a deadline, not a count of polls, so a loaded machine (the suite
        # beside other work, PostgreSQL on the same two cores) does not stop the job mid-firing.
        deadline = time.monotonic() + 60
        while True:
            keys = runtime.db.call(lambda session: set(session.exec(select(OutboxMessage.key)).all()))
            # Both rows and both wakes: a job wakes the sender just after its commit, and stopping
            # the executor between the two would cancel the wake.
            if (len(keys) == 2 and len(woken) == 2) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    finally:
        await executor.stop()
        runtime.close()
    assert keys == {f"{late.key}:wecom:tianlin", f"{soon.key}:wecom:tianlin"}
    assert len(woken) == 2


async def test_a_failed_firing_is_retried_while_still_useful(tmp_path: Path) -> None:
    clock = SystemClock()
    runtime = Runtime.create(make_settings(tmp_path), clock)
    now = clock.now()
    push = PlannedPush(now, PushKind.DIGEST, Audience.CONTACT, "汇总", now + timedelta(hours=1))
    firing = make_firing(runtime)
    real_fire, calls = firing.fire, []

    async def flaky_fire(planned: PlannedPush, at: datetime) -> int | None:
        calls.append(at)
        if len(calls) == 1:
            raise RuntimeError("database away for a moment")
        return await real_fire(planned, at)

    firing.fire = flaky_fire  # type: ignore[method-assign]
    executor = SchedulerExecutor([push], clock, firing, lambda: None, retry_after=timedelta(seconds=0.3))
    await executor.start()
    try:
        for _ in range(100):
            keys = runtime.db.call(lambda session: set(session.exec(select(OutboxMessage.key)).all()))
            if keys:
                break
            await asyncio.sleep(0.05)
    finally:
        await executor.stop()
        runtime.close()
    assert len(calls) == 2 and keys == {f"{push.key}:wecom:tianlin"}


def test_a_held_virtual_clock_stops_and_runs_on_from_the_hold() -> None:
    real = [0.0]
    start = datetime(2026, 4, 17, 8, 0, tzinfo=TZ)
    clock = VirtualClock(start, 60, monotonic=lambda: real[0])  # a real second is a virtual minute
    assert clock.now() == start
    real[0] = 10
    clock.hold_at(start + timedelta(minutes=15))
    real[0] = 100
    assert clock.now() == start + timedelta(minutes=15)
    clock.hold_at(start)  # never back in time: held where it is
    real[0] = 200
    assert clock.now() == start + timedelta(minutes=15)
    clock.hold_at(None)
    real[0] = 201
    assert clock.now() == start + timedelta(minutes=16)


async def test_on_a_fast_virtual_clock_narrow_pushes_are_neither_late_nor_lost(tmp_path: Path) -> None:
    # 10^8 times real time: one millisecond of latency is more than a virtual day, so every one of
    # these 40-minute windows would pass before its push could be sent unless the clock waits.
    start = datetime(2026, 4, 13, 8, 0, tzinfo=TZ)
    clock = VirtualClock(start, 1e8)
    plan = [
        PlannedPush(at, PushKind.CHECKIN_OPEN, Audience.CONTACT, f"签到{day}", at + timedelta(minutes=40))
        for day in range(1, 6)
        for at in [start + timedelta(days=day, minutes=20)]
    ]
    settings = make_settings(tmp_path)
    platform = PlatformState(settings.channels.wecom, settings.channels.mp)  # on real time: tokens last
    async with Harness(settings, clock, platform) as bot:
        sender = make_sender(bot.runtime, bot.background)
        runner = VirtualRunner(plan, clock, make_firing(bot.runtime), sender.wake)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.follow(stop, 0.01, sender.drain_due))
        for _ in range(500):
            if len(platform.messages) == len(plan):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task
        statuses = bot.runtime.db.call(lambda session: session.exec(select(OutboxMessage.status)).all())
    assert [message.content for message in platform.messages] == [push.text for push in plan]
    assert statuses == ["sent"] * len(plan)


def test_a_virtual_clock_jumps_forward_only_and_not_past_its_hold() -> None:
    real = [0.0]
    start = datetime(2026, 4, 17, 8, 0, tzinfo=TZ)
    clock = VirtualClock(start, 60, monotonic=lambda: real[0])
    assert clock.now() == start
    assert clock.jump_to(start + timedelta(hours=2)) == start + timedelta(hours=2)
    real[0] = 1
    assert clock.now() == start + timedelta(hours=2, minutes=1)  # runs on from the jump
    assert clock.jump_to(start) == start + timedelta(hours=2, minutes=1)  # never back
    clock.hold_at(start + timedelta(hours=3))
    assert clock.jump_to(start + timedelta(days=1)) == start + timedelta(hours=3)


async def test_jumping_to_the_next_push_fires_it_without_waiting(tmp_path: Path) -> None:
    start = datetime(2026, 4, 17, 8, 0, tzinfo=TZ)
    clock = VirtualClock(start, 60)  # a real second is a virtual minute: six real hours to the push
    runtime = Runtime.create(make_settings(tmp_path), clock)
    push = PlannedPush(
        start + timedelta(hours=6), PushKind.CHECKIN_OPEN, Audience.CONTACT, "签到", start + timedelta(hours=7)
    )
    later = PlannedPush(
        start + timedelta(days=1), PushKind.WEEK_KICKOFF, Audience.CONTACT, "启动", start + timedelta(days=2)
    )
    runner = VirtualRunner([later, push], clock, make_firing(runtime), lambda: None)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.follow(stop, 0.01))
    try:
        assert runner.next_push() == push
        assert runner.jump_to_next_push() == push
        assert clock.now() >= push.at
        for _ in range(500):
            if push.key in runner.done:
                break
            await asyncio.sleep(0.01)
        assert runner.next_push() == later
        assert clock.now() < later.at
        keys = runtime.db.call(lambda session: set(session.exec(select(OutboxMessage.key)).all()))
        assert keys == {f"{push.key}:wecom:tianlin"}
    finally:
        stop.set()
        await task
        runtime.close()


async def test_each_fired_push_logs_its_kind_audience_and_first_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    start = datetime(2026, 4, 17, 8, 0, tzinfo=TZ)
    runtime = Runtime.create(make_settings(tmp_path), SystemClock())
    text = "\n签到已开放：请到会场签到。\n第二行不进日志"
    push = PlannedPush(start, PushKind.CHECKIN_OPEN, Audience.CONTACT, text, start + timedelta(hours=1))
    try:
        with caplog.at_level(logging.INFO, logger="scheduler.firing"):
            assert await make_firing(runtime).fire(push, start)
    finally:
        runtime.close()
    lines = [record.getMessage() for record in caplog.records if record.name == "scheduler.firing"]
    assert lines == [
        f"push {push.key} fired: checkin_open to contact, 1 recipients, 0 units without a liaison: "
        "签到已开放：请到会场签到。"
    ]
