"""`GET /healthz`: is this process able to do its work — the database, the workers, the scheduler.

200 and ``{"status": "ok", ...}`` when every check passes; 503 and each failing check's problem
when one does not. Only what this process runs is checked: the workers register themselves when
they start (bot.workers.background, bot.workers.push), so an app built without workers (tests, the demo)
reports the database alone, and so does a `serve` process that is not the leader (bot.server.leader),
whose ``role`` says so.

It is polled, so it stays cheap: one trivial query on its own thread, never behind the single
SQLite writer or the desk's readers (a long export must not make the service look dead), bounded
by a timeout; a query still hanging from an earlier poll is waited on again, not queued behind.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from aiohttp import web
from sqlmodel import select

from bot.logs import campaign_time
from scheduler.clock import Clock
from scheduler.heartbeat import Heartbeat
from storage.db import Database
from storage.models import Unit

DATABASE_TIMEOUT_SECONDS = 2.0
# A worker loop goes round at least every few seconds; one API call is bounded (4 tries of 10 s
# with backoff), so a loop silent for this long is stuck, not busy.
STALE_AFTER_SECONDS = 300.0

# A check's answer: None when healthy, else what is wrong.
Probe = Callable[[], str | None]


class HealthStatus(StrEnum):
    OK = "ok"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True)
class LoopWatch:
    """A worker loop: its task must be alive and its heartbeat recent."""

    task: asyncio.Task[None]
    heartbeat: Heartbeat
    stale_after: float

    def __call__(self) -> str | None:
        if self.task.done():
            failure = None if self.task.cancelled() else self.task.exception()
            return "stopped" if failure is None else f"stopped: {type(failure).__name__}: {failure}"
        silent = self.heartbeat.silent_for()
        if silent > self.stale_after:
            return f"stuck: no progress for {silent:.0f} s"
        return None


class HealthMonitor:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        database_timeout: float = DATABASE_TIMEOUT_SECONDS,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.database_timeout = database_timeout
        self.stale_after = stale_after
        self.probes: dict[str, Probe] = {}
        # "leader" or "follower" in `weekbot serve` (bot.server.leader); None where there is no election.
        self.role: str | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-health")
        self._query: asyncio.Future[None] | None = None

    def watch(self, name: str, probe: Probe) -> None:
        """Check ``probe`` on every poll (from now on, in this process)."""
        self.probes[name] = probe

    def watch_loop(self, name: str, task: asyncio.Task[None], heartbeat: Heartbeat) -> None:
        self.watch(name, LoopWatch(task, heartbeat, self.stale_after))

    async def checks(self) -> dict[str, str]:
        """Every check's answer: "ok" or what is wrong, the database first."""
        found = {"database": await self._database()}
        found.update({name: probe() for name, probe in self.probes.items()})
        return {name: problem or HealthStatus.OK.value for name, problem in found.items()}

    async def _database(self) -> str | None:
        if self._query is None or self._query.done():
            self._query = asyncio.get_running_loop().run_in_executor(self._thread, self._ask_database)
        try:
            await asyncio.wait_for(asyncio.shield(self._query), self.database_timeout)
        except TimeoutError:
            return f"no answer within {self.database_timeout:g} s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}".splitlines()[0]
        return None

    def _ask_database(self) -> None:
        # A read of a real table (not SELECT 1): on SQLite that touches the file, and the schema
        # must be there. A connection of the engine's pool, not the writer's or the readers' thread.
        with self.db.session() as session:
            session.exec(select(Unit.id).limit(1)).first()

    async def handle(self, _request: web.Request) -> web.Response:
        checks = await self.checks()
        healthy = all(answer == HealthStatus.OK.value for answer in checks.values())
        status = HealthStatus.OK if healthy else HealthStatus.UNHEALTHY
        body: dict[str, object] = {"status": status.value, "time": campaign_time(self.clock), "checks": checks}
        if self.role is not None:
            body["role"] = self.role
        return web.json_response(body, status=200 if healthy else 503, dumps=partial(json.dumps, ensure_ascii=False))

    def close(self) -> None:
        # A query hanging on a dead database must not hold up the process's exit.
        self._thread.shutdown(wait=False, cancel_futures=True)
