"""`GET /healthz`: the database, the workers and the scheduler this process runs; 200 or 503 naming
what is wrong."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.engine import make_url

from bot.config import load_config
from bot.runtime import Runtime
from bot.server.serve import web_app
from bot.web.health import HealthMonitor, LoopWatch
from bot.workers.background import Background, open_background
from bot.workers.push import PushWorker, start_push_worker
from scheduler.clock import SystemClock
from scheduler.executor import SchedulerExecutor
from scheduler.heartbeat import Heartbeat
from tests.conftest import EXAMPLE
from tests.harness import Harness, make_settings
from tests.postgres import PostgresServer

on_both_databases = pytest.mark.usefixtures("backend")  # the test runs on SQLite and on PostgreSQL


async def health(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


class Service:
    """The app with its workers running, as `weekbot serve` has them (on the system clock, so the
    plan runs on APScheduler), minus the sockets to WeChat."""

    runtime: Runtime
    background: Background
    pushes: PushWorker
    server: TestServer

    @property
    def healthz(self) -> str:
        return str(self.server.make_url("/healthz"))


@pytest.fixture
async def service(tmp_path: Path, backend: str) -> AsyncIterator[Service]:
    running = Service()
    running.runtime = Runtime.create(make_settings(tmp_path), SystemClock())
    running.background = await open_background(running.runtime)
    running.pushes = await start_push_worker(running.runtime, running.background)
    running.server = TestServer(web_app(running.runtime), host="127.0.0.1")
    await running.server.start_server()
    yield running
    await running.server.close()
    await running.pushes.stop()
    await running.background.close()
    running.runtime.close()


@on_both_databases
async def test_an_app_without_workers_reports_its_database_only(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        status, body = await health(bot.url("/healthz"))
    assert status == 200
    assert body == {"status": "ok", "time": "2026-04-20 10:05:00+08:00 [virtual]", "checks": {"database": "ok"}}


async def test_running_workers_and_scheduler_are_healthy(service: Service) -> None:
    status, body = await health(service.healthz)
    assert status == 200 and body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "media_worker": "ok", "scheduler": "ok", "outbox_sender": "ok"}


async def test_a_stopped_worker_makes_it_503_naming_the_worker(service: Service) -> None:
    [media] = service.background.tasks
    media.cancel()
    await asyncio.gather(media, return_exceptions=True)
    status, body = await health(service.healthz)
    assert status == 503 and body["status"] == "unhealthy"
    assert body["checks"]["media_worker"] == "stopped"
    assert body["checks"]["outbox_sender"] == "ok" and body["checks"]["database"] == "ok"


async def test_a_stopped_scheduler_makes_it_503_naming_the_scheduler(service: Service) -> None:
    executor = service.pushes.executor
    assert isinstance(executor, SchedulerExecutor)
    executor.scheduler.pause()
    status, body = await health(service.healthz)
    assert status == 503 and body["checks"]["scheduler"] == "paused"
    await executor.stop()
    status, body = await health(service.healthz)
    assert status == 503 and body["checks"]["scheduler"] == "not running"


async def test_a_broken_database_makes_it_503_naming_the_database(service: Service, backend: str) -> None:
    db = service.runtime.db
    if backend == "sqlite":
        # The database file removed under the service: a new connection finds no tables.
        Path(make_url(db.url).database or "").unlink()
    else:
        url = make_url(db.url)
        admin = f"host={url.host} port={url.port} user={url.username} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
    db.engine.dispose()
    status, body = await health(service.healthz)
    assert status == 503 and body["status"] == "unhealthy"
    assert body["checks"]["database"].startswith(("ProgrammingError", "OperationalError")), body
    assert body["checks"]["media_worker"] == "ok"


def test_a_loop_silent_too_long_is_stuck() -> None:
    now = [100.0]
    heartbeat = Heartbeat(monotonic=lambda: now[0])

    class Running:
        def done(self) -> bool:
            return False

    watch = LoopWatch(Running(), heartbeat, stale_after=300)  # type: ignore[arg-type]
    now[0] += 299
    assert watch() is None
    heartbeat.beat()
    now[0] += 301
    assert watch() == "stuck: no progress for 301 s"


async def test_the_database_check_is_not_queued_behind_a_busy_writer_or_readers(service: Service) -> None:
    db, release = service.runtime.db, threading.Event()
    busy = [
        db.run(lambda _s: release.wait(60)),
        db.read(lambda _s: release.wait(60)),
        db.read(lambda _s: release.wait(60)),
    ]
    tasks = [asyncio.ensure_future(work) for work in busy]
    try:
        status, body = await health(service.healthz)
        assert status == 200 and body["checks"]["database"] == "ok"
    finally:
        release.set()
        await asyncio.gather(*tasks)


async def test_a_database_that_does_not_answer_times_out(tmp_path: Path, postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database()
    runtime = Runtime.create(
        load_config(EXAMPLE, env={"WEEKBOT_DATABASE_URL": url, "WEEKBOT_DATA_DIR": str(tmp_path)}), SystemClock()
    )
    monitor = HealthMonitor(runtime.db, runtime.clock, database_timeout=0.5)
    address = make_url(url)
    try:
        with psycopg.connect(
            f"host={address.host} port={address.port} user={address.username} dbname={address.database}"
        ) as lock:
            lock.execute("LOCK TABLE unit IN ACCESS EXCLUSIVE MODE")  # held until this transaction ends
            assert await monitor.checks() == {"database": "no answer within 0.5 s"}
            # A poll while the first query still hangs waits on that query, not on a new one behind it.
            first = monitor._query
            assert await monitor.checks() == {"database": "no answer within 0.5 s"}
            assert monitor._query is first
        monitor.database_timeout = 30
        assert await monitor.checks() == {"database": "ok"}
    finally:
        monitor.close()
        runtime.close()
