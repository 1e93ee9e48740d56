"""APScheduler in production: jobs rebuilt from the plan, late pushes sent while still useful,
expired and already-fired pushes never sent."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.push_worker import make_firing
from bot.runtime import Runtime
from scheduler.clock import SystemClock
from scheduler.executor import SchedulerExecutor
from scheduler.plan import Audience, PlannedPush, PushKind
from storage.campaign_status import claim_push
from storage.outbox import OutboxMessage
from tests.harness import make_settings


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
        for _ in range(200):
            keys = runtime.db.call(lambda session: set(session.exec(select(OutboxMessage.key)).all()))
            if len(keys) == 2:
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
