"""The scheduled pushes inside `weekbot serve`: the plan executor, the outbox sender loop, and the
re-handler of inbound messages whose handling failed (bot.workers.rehandler; its replies are pushes).

On the system clock the plan runs on APScheduler; on any other clock (WEEKBOT_CLOCK=virtual:…)
the virtual runner follows it. Both wake the sender as soon as a push has queued its rows. The
API clients are the ones bot.workers.background opened for the process (one HTTP session, one token cache).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field

from bot.runtime import Runtime
from bot.workers.background import Background
from bot.workers.rehandler import Rehandler
from scheduler.calendar import CampaignCalendar
from scheduler.clock import SystemClock, VirtualClock
from scheduler.delivery import robot_id
from scheduler.digest import DigestWriter
from scheduler.executor import SchedulerExecutor, VirtualRunner
from scheduler.firing import GroupRobotRoute, PushFiring
from scheduler.plan import build_plan
from scheduler.sender import OutboxSender

log = logging.getLogger(__name__)

SENDER_POLL_SECONDS = 1.0
SHORTEST_TICK = 0.01


def make_firing(runtime: Runtime) -> PushFiring:
    settings = runtime.settings
    digests = DigestWriter(settings, runtime.photos)
    deadline = CampaignCalendar(settings.campaign).summary_deadline()
    robot = settings.group_robot
    route = GroupRobotRoute(robot_id(robot.key), frozenset(robot.kinds)) if robot.enabled else None
    return PushFiring(runtime.db, settings, digests, settings.data_dir / "collages", deadline, route)


def make_sender(runtime: Runtime, background: Background) -> OutboxSender:
    template_id = runtime.settings.channels.mp.template_id
    return OutboxSender(
        runtime.db, runtime.clock, background.wecom, background.mp, template_id, group_robot=background.group_robot
    )


def _tick(clock: object) -> float:
    """Real seconds between polls: about one virtual minute, never busier than SHORTEST_TICK."""
    speed = clock.speed if isinstance(clock, VirtualClock) else 1.0
    return max(SHORTEST_TICK, min(SENDER_POLL_SECONDS, 60.0 / speed))


@dataclass
class PushWorker:
    sender: OutboxSender
    executor: SchedulerExecutor | VirtualRunner
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        """Let the current send finish, then stop scheduling and sending."""
        self.stopping.set()
        self.sender.wake()
        if isinstance(self.executor, SchedulerExecutor):
            await self.executor.stop()
        for task in self.tasks:
            with suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=15)


async def start_push_worker(runtime: Runtime, background: Background) -> PushWorker:
    """Start executing the plan and sending; stop with ``await worker.stop()`` before closing ``background``."""
    plan = build_plan(runtime.settings)
    sender = make_sender(runtime, background)
    firing = make_firing(runtime)
    tick = _tick(runtime.clock)
    executor: SchedulerExecutor | VirtualRunner
    if isinstance(runtime.clock, SystemClock):
        executor = SchedulerExecutor(plan, runtime.clock, firing, sender.wake)
    else:
        executor = VirtualRunner(plan, runtime.clock, firing, sender.wake)
    worker = PushWorker(sender, executor)
    if isinstance(executor, SchedulerExecutor):
        await executor.start()
        runtime.health.watch("scheduler", executor.problem)
    else:
        follow = asyncio.create_task(executor.follow(worker.stopping, tick, sender.drain_due), name="push-plan")
        worker.tasks.append(follow)
        runtime.health.watch_loop("scheduler", follow, executor.heartbeat)
    sending = asyncio.create_task(sender.run(worker.stopping, tick), name="outbox-sender")
    worker.tasks.append(sending)
    runtime.health.watch_loop("outbox_sender", sending, sender.heartbeat)
    rehandler = Rehandler(runtime.db, runtime.clock, runtime.pipeline, sender.wake)
    worker.tasks.append(asyncio.create_task(rehandler.run(worker.stopping), name="rehandler"))
    log.info("push worker started: %d planned pushes, %s", len(plan), type(executor).__name__)
    return worker
