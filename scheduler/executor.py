"""Running the push plan: APScheduler in production, a virtual-clock runner for tests and demos.

Both take the plan as data and hand each push to ``PushFiring`` when its time comes. Nothing
about the schedule is persisted except which pushes fired (``FiredPush``): on start the jobs are
rebuilt from the plan, pushes that already fired are skipped, and a push whose time passed while
the service was down still fires, late, if it is before its ``expires_at`` (APScheduler's misfire
grace is exactly that span; ``PushFiring`` checks it again against the injected clock).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from apscheduler.triggers.date import DateTrigger

from scheduler.clock import TZ, Clock, ManualClock, VirtualClock
from scheduler.firing import PushFiring
from scheduler.heartbeat import Heartbeat
from scheduler.plan import PlannedPush
from storage.campaign_status import fired_keys

log = logging.getLogger(__name__)


class _PlanRunner:
    def __init__(
        self, plan: Sequence[PlannedPush], clock: Clock, firing: PushFiring, on_fired: Callable[[], None]
    ) -> None:
        self.plan = tuple(sorted(plan, key=lambda push: push.at))
        self.clock = clock
        self.firing = firing
        self.on_fired = on_fired
        # Keys fired or past their expiry: never looked at again by this process.
        self.done: set[str] = set()
        self._loaded = False
        self.heartbeat = Heartbeat()

    async def load_fired(self) -> None:
        """Learn which pushes fired before this process started (once)."""
        if not self._loaded:
            self.done |= await self.firing.db.run(fired_keys)
            self._loaded = True

    async def fire(self, push: PlannedPush) -> bool:
        """Fire ``push`` unless it already fired or expired; True when it fired now."""
        written = await self.firing.fire(push, self.clock.now())
        self.done.add(push.key)
        if written:
            self.on_fired()
        return written is not None

    def due(self, now: datetime) -> list[PlannedPush]:
        """Pushes whose time has come and that were neither fired nor let expire."""
        return [push for push in self.plan if push.at <= now and push.key not in self.done]


class SchedulerExecutor(_PlanRunner):
    """One APScheduler date job per planned push (production, on the system clock)."""

    def __init__(
        self,
        plan: Sequence[PlannedPush],
        clock: Clock,
        firing: PushFiring,
        on_fired: Callable[[], None],
        retry_after: timedelta = timedelta(minutes=1),
    ) -> None:
        super().__init__(plan, clock, firing, on_fired)
        self.scheduler = AsyncIOScheduler(timezone=TZ)
        self.retry_after = retry_after

    async def start(self) -> None:
        await self.load_fired()
        now = self.clock.now()
        for push in self.plan:
            if push.key in self.done or push.expires_at <= now:
                continue
            grace = max(1, int((push.expires_at - push.at).total_seconds()))
            self._schedule(push, push.at, grace)
        self.scheduler.start()
        log.info("push scheduler started: %d jobs", len(self.scheduler.get_jobs()))

    def _schedule(self, push: PlannedPush, at: datetime, grace: int) -> None:
        self.scheduler.add_job(
            self._fire_or_retry,
            DateTrigger(run_date=at, timezone=TZ),
            args=[push],
            id=push.key,
            name=push.key,
            misfire_grace_time=grace,
            coalesce=True,
            replace_existing=True,
        )

    async def _fire_or_retry(self, push: PlannedPush) -> None:
        """Fire; if that fails (the database away for a moment), try again while still useful."""
        try:
            await self.fire(push)
        except Exception:
            retry_at = self.clock.now() + self.retry_after
            if retry_at >= push.expires_at:
                log.exception("firing %s failed; it expires before a retry", push.key)
                return
            log.exception("firing %s failed; retrying at %s", push.key, retry_at.isoformat())
            self._schedule(push, retry_at, max(1, int((push.expires_at - retry_at).total_seconds())))

    def problem(self) -> str | None:
        """None while APScheduler runs its jobs; else its state (for /healthz)."""
        if self.scheduler.state == STATE_RUNNING:
            return None
        return "paused" if self.scheduler.state == STATE_PAUSED else "not running"

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


class VirtualRunner(_PlanRunner):
    """Walks the same plan on a clock that is not the wall clock.

    ``run_until`` moves a ManualClock from push to push (tests, the demo); ``follow`` polls a
    clock that moves by itself (``VirtualClock`` in a real process) and fires what is due.
    """

    async def run_until(
        self, moment: datetime, after_each: Callable[[PlannedPush], Awaitable[None]] | None = None
    ) -> list[PlannedPush]:
        """Fire every due push up to ``moment``, setting the clock to each push's time; returns those
        that fired (not those that had fired before, nor those that expired unsent).

        ``after_each`` runs after each push (a test drains the outbox there, as the sender would).
        """
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("run_until needs a ManualClock")
        await self.load_fired()
        fired = []
        for push in self.due(moment):
            if clock.now() < push.at:
                clock.set(push.at)
            if not await self.fire(push):
                continue
            fired.append(push)
            if after_each is not None:
                await after_each(push)
        if clock.now() < moment:
            clock.set(moment)
        return fired

    async def follow(
        self, stop: asyncio.Event, tick: float, settle: Callable[[], Awaitable[object]] | None = None
    ) -> None:
        """Fire what is due each ``tick`` until ``stop``. On a ``VirtualClock`` the clock is held at
        the next push, and after firing ``settle`` (the sender sending what is due) runs before time
        moves on: real latency, multiplied by the clock's speed, never makes a push late."""
        holdable = self.clock if isinstance(self.clock, VirtualClock) else None
        if holdable is not None:
            holdable.hold_at(holdable.now())  # until we know which pushes fired before
        await self.load_fired()
        while not stop.is_set():
            self.heartbeat.beat()
            fired = False
            for push in self.due(self.clock.now()):
                try:
                    fired = await self.fire(push) or fired
                except Exception:
                    log.exception("firing %s failed; trying again at the next tick", push.key)
                    break
            if fired and settle is not None:
                try:
                    await settle()
                except Exception:
                    log.exception("sending after a push failed; the sender's own loop retries")
            if holdable is not None:
                holdable.hold_at(self._next_at())
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick)

    def next_push(self) -> PlannedPush | None:
        """The earliest push not yet fired nor let expire (the plan is sorted by time)."""
        return next((push for push in self.plan if push.key not in self.done), None)

    def jump_to_next_push(self) -> PlannedPush | None:
        """Move a ``VirtualClock`` straight to the next push's time (``follow`` fires it on its
        next tick); the push, or None when the plan is done or time is already there."""
        push = self.next_push()
        if push is None or not isinstance(self.clock, VirtualClock) or self.clock.now() >= push.at:
            return None
        self.clock.jump_to(push.at)
        return push

    def _next_at(self) -> datetime | None:
        push = self.next_push()
        return push.at if push is not None else None
