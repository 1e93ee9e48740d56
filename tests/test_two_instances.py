"""Two `weekbot serve` instances on one PostgreSQL database and one data directory, under load,
the leading one SIGKILLed mid-load and started again: nothing acknowledged is lost or doubled,
every photo is processed once, the plan's pushes go out once, tokens are refreshed one at a time.

Instance "single" runs one process (`--workers 1`), instance "pair" two (`--workers 2`), so the
test also covers the workers of one serve next to another instance; at the end one of the pair's
workers is SIGKILLed too and its parent starts it again. They can share the data
directory because on PostgreSQL with the sandbox off `serve` takes its lock shared
(bot.server.datalock.shares_data_dir). The sandbox platform runs here in the test process, so both
instances, the killed one's successor included, talk to one platform whose record the test reads.

PostgreSQL only: on SQLite one serve owns the data directory (its own workers share it).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image
from sqlmodel import col, select

from bot.config import Settings
from bot.database import open_database
from bot.sandbox.callbacks import WeComUser
from bot.sandbox.platform import make_platform_app
from bot.sandbox.state import PlatformState
from scheduler.clock import TZ
from scheduler.plan import PushKind, build_plan
from storage.db import Database
from storage.jobs import Job
from storage.models import Activity, InboundMessage, Liaison, Unit
from storage.outbox import OutboxMessage
from storage.photos import Photo, PhotoStatus
from tests.conftest import EXAMPLE, ROOT
from tests.golive import PRODUCTION_ENV
from tests.harness import make_settings
from tests.postgres import PostgresServer

SPEED = 1500  # a virtual hour in 2.4 s: the day's three pushes fall within the load and its tail
START = datetime(2026, 4, 20, 8, 0, tzinfo=TZ)  # the week's first day: kickoff, nudge, digest
DAY_END = datetime(2026, 4, 20, 23, 59, tzinfo=TZ)
REPORTERS = {"wangl": "市商务局", "lihg": "朝阳海关", "kjzhang": "市科技局", "jpzhao": "建平县知识产权局"}
QUIET = {"jyj": "市教育局", "fgw": "市发展改革委"}  # bound, never report: the nudge's sure audience
CONTACT = "tianlin"
TEXTS, PHOTOS = 48, 12
DEADLINE_SECONDS = 240.0  # a bound for a hung run, not a speed goal


def seed(settings: Settings) -> None:
    db = open_database(settings)

    def bind(session: Any) -> None:
        units = {unit.name: unit.id for unit in session.exec(select(Unit)).all()}
        for user, unit in (REPORTERS | QUIET).items():
            session.add(Liaison(channel="wecom", user_id=user, unit_id=units[unit], bound_at=START))

    db.call(bind)
    db.close()


class Instance:
    """One `weekbot serve` (its parent process), its log, and the URL it printed."""

    def __init__(self, name: str, workers: int, env: dict[str, str], folder: Path) -> None:
        self.name, self.workers, self.env = name, workers, env
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.offset = 0  # where this start's lines begin in the log

    def start(self) -> None:
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        argv = ["serve", "--port", "0", "--workers", str(self.workers), "--config", str(EXAMPLE)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *argv], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def text(self) -> str:
        """What the current start logged."""
        with self.log.open("rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")

    def leads(self) -> bool:
        return "leads: it runs the scheduler" in self.text()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=20)
        self.url = ""

    def describe(self) -> str:
        return f"--- {self.name}:\n{self.log.read_text(errors='replace')[-3000:]}"


async def poll(done: Callable[[], Any], what: str, instances: list[Instance]) -> Any:
    """Wait for ``done()`` to be truthy (no fixed sleeps), within the test's deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = done()
        if found:
            return found
        for instance in instances:
            assert instance.process is None or instance.process.poll() is None, instance.describe()
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(i.describe() for i in instances))


async def ready(http: aiohttp.ClientSession, instance: Instance, everyone: list[Instance]) -> None:
    """The instance printed its URL and answers /healthz (its workers are up)."""

    def printed() -> str | None:
        found = re.search(r"serving on (\S+)", instance.text())
        return found.group(1) if found else None

    instance.url = await poll(printed, f"{instance.name} to listen", everyone)

    async def healthy() -> bool:
        try:
            async with http.get(instance.url + "/healthz") as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False

    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await healthy():
        assert time.monotonic() < deadline, instance.describe()
        await asyncio.sleep(0.05)


def photo_bytes(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256)).save(out, "JPEG")
    return out.getvalue()


class Load:
    """Reports and photos from the reporters, each sent until an instance answers 200; every
    third one sent again to the other instance (WeChat's retry of a MsgId)."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings, platform: PlatformState) -> None:
        self.http, self.settings, self.platform = http, settings, platform
        self.acked: dict[int, str] = {}  # MsgId -> "text" | "image"
        self.ids = itertools.count(7_000_001)

    def messages(self, count_texts: int, count_photos: int) -> list[tuple[str, int, str, dict[str, str]]]:
        users = itertools.cycle(REPORTERS)
        out = []
        for n in range(count_texts):
            text = f"今天在第{n}号商圈开展集中宣传，发放资料{100 + n}份，咨询{10 + n}人"
            out.append((next(users), next(self.ids), "text", {"Content": text}))
        for n in range(count_photos):
            media_id = self.platform.add_media(photo_bytes(len(self.acked) + n + 1), "image/jpeg", f"p{n}.jpg")
            out.append((next(users), next(self.ids), "image", {"PicUrl": "", "MediaId": media_id}))
        return out

    async def send(self, batch: list[tuple[str, int, str, dict[str, str]]], targets: list[Instance]) -> None:
        gate = asyncio.Semaphore(8)

        async def one(position: int, user: str, msg_id: int, kind: str, fields: dict[str, str]) -> None:
            async with gate:
                created = START
                for attempt in range(200):
                    live = [t for t in targets if t.url]
                    target = live[(position + attempt) % len(live)]
                    sender = WeComUser(self.http, target.url + "/wechat/work", self.settings.channels.wecom, user)
                    xml = sender.xml(created, kind, fields, msg_id=msg_id)
                    try:
                        status, _ = await sender.post(xml, created)
                    except (aiohttp.ClientError, OSError):
                        status = 0  # the instance is down: WeChat would retry
                    if status == 200:
                        self.acked[msg_id] = kind
                        if position % 3 == 0:  # a retry of the same MsgId, to the other instance
                            await self.resend(xml, user, [t for t in live if t is not target] or [target])
                        return
                    await asyncio.sleep(0.1)
                raise AssertionError(f"message {msg_id} never acknowledged")

        await asyncio.gather(*(one(n, *message) for n, message in enumerate(batch)))

    async def resend(self, xml: str, user: str, targets: list[Instance]) -> None:
        """WeChat's retry: the same callback again; it must not be stored or handled twice."""
        retry = WeComUser(self.http, targets[0].url + "/wechat/work", self.settings.channels.wecom, user)
        with contextlib.suppress(aiohttp.ClientError, OSError):  # killed meanwhile: nothing to see
            status, _ = await retry.post(xml, START)
            assert status == 200, status


def gettoken_watch(app: web.Application) -> dict[str, int]:
    """Count the platform's gettoken calls in flight at once (the most seen) and in all."""
    seen = {"now": 0, "most": 0, "total": 0}

    @web.middleware
    async def watch(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.endswith("/gettoken"):
            return await handler(request)
        seen["now"] += 1
        seen["total"] += 1
        seen["most"] = max(seen["most"], seen["now"])
        try:
            await asyncio.sleep(0.05)  # long enough for a second refresher to overlap, if there were one
            return await handler(request)
        finally:
            seen["now"] -= 1

    app.middlewares.append(watch)
    return seen


@pytest.fixture
def shared(tmp_path: Path, postgres_server: PostgresServer) -> Settings:
    """The deployment's settings: a fresh PostgreSQL database, the data directory under tmp_path."""
    return make_settings(tmp_path, WEEKBOT_DATABASE_URL=postgres_server.new_database(), **PRODUCTION_ENV)


async def test_two_instances_killed_and_restarted_under_load(tmp_path: Path, shared: Settings) -> None:
    settings = shared
    seed(settings)
    platform = PlatformState(settings.channels.wecom, settings.channels.mp, duplicate_check=False)
    app = make_platform_app(platform)
    tokens = gettoken_watch(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "WEEKBOT_DATA_DIR": str(settings.data_dir),
        "WEEKBOT_DATABASE_URL": settings.storage.database_url,
        "WEEKBOT_WECOM_API_BASE": base,
        "WEEKBOT_MP_API_BASE": base,
        "WEEKBOT_CLOCK": f"virtual:{START.isoformat()}:{SPEED}",
    }
    instances = [Instance("single", 1, env, tmp_path), Instance("pair", 2, env, tmp_path)]
    kickoff_text = next(p.text for p in build_plan(settings) if p.kind == PushKind.WEEK_KICKOFF)
    try:
        async with aiohttp.ClientSession() as http:
            for instance in instances:
                instance.start()
            await asyncio.gather(*(ready(http, instance, instances) for instance in instances))
            leader = await poll(lambda: next((i for i in instances if i.leads()), None), "a leader", instances)
            load = Load(http, settings, platform)
            first = load.messages(TEXTS // 2, PHOTOS // 2)
            second = load.messages(TEXTS - TEXTS // 2, PHOTOS - PHOTOS // 2)
            sending = asyncio.create_task(load.send(first, instances))
            # Mid-load, once the kickoff is out (a kill between a push's API call and its "sent"
            # record is the one resend the outbox cannot rule out; the next push is hours away).
            await poll(lambda: len(load.acked) >= len(first) // 2, "half the first batch", instances)
            # The kickoff recorded as sent to everyone, not only seen by the platform: a kill between
            # one recipient's API call and that row's record is the resend the outbox cannot rule out
            # (WeCom's own duplicate check, off in this platform, is the guard for that case).
            await poll(lambda: sum(m.content == kickoff_text for m in platform.messages), "the kickoff", instances)
            await poll(lambda: kickoff_recorded(settings), "the kickoff recorded as sent", instances)
            leader.kill()
            await sending
            leader.start()
            await ready(http, leader, instances)
            await load.send(second, instances)
            await poll(lambda: any(i.leads() for i in instances), "a new leader", instances)
            # One of the pair's workers dies: its parent starts it again. A follower, so no push is
            # between its API call and its record (the leader's kill above is the case for that).
            pair = instances[1]
            assert pair.process is not None
            children = subprocess.run(["pgrep", "-P", str(pair.process.pid)], capture_output=True, text=True)
            leading = re.findall(r"this process \(pid (\d+)\) leads", pair.text())
            follower = next(pid for pid in children.stdout.split() if not leading or pid != leading[-1])
            os.kill(int(follower), signal.SIGKILL)
            await poll(lambda: "starting it again" in pair.text(), "the pair's worker restarted", instances)
            # The day's last push is the digest; its record in the outbox shows the day is done.
            await poll(lambda: digests(platform), "the 04-20 digest", instances)
            db = Database(settings.storage.database_url)
            try:
                await poll(lambda: photos_settled(db), "every photo processed", instances)
                for instance in instances:
                    assert instance.process is not None
                    instance.process.send_signal(signal.SIGTERM)
                for instance in instances:
                    assert instance.process is not None
                    assert instance.process.wait(timeout=60) == 0, instance.describe()
                inbound = db.call(lambda s: list(s.exec(select(InboundMessage))))
                activities = db.call(lambda s: list(s.exec(select(Activity))))
                photos = db.call(lambda s: list(s.exec(select(Photo))))
            finally:
                db.close()
    finally:
        for instance in instances:
            if instance.process is not None and instance.process.poll() is None:
                instance.process.kill()
        await server.close()

    # Every acknowledged message stored once, each report with its one record, each photo once.
    assert len(load.acked) == TEXTS + PHOTOS
    stored = Counter(int(m.dedupe_key.rsplit(":", 1)[-1]) for m in inbound if m.msg_type in ("text", "image"))
    assert stored == Counter(list(load.acked)), "each MsgId stored once"
    by_row = {m.id: int(m.dedupe_key.rsplit(":", 1)[-1]) for m in inbound}
    assert Counter(by_row[a.message_id] for a in activities) == Counter(i for i, k in load.acked.items() if k == "text")
    assert Counter(by_row[p.message_id] for p in photos) == Counter(i for i, k in load.acked.items() if k == "image")
    assert all(p.status in (PhotoStatus.READY, PhotoStatus.DUPLICATE) for p in photos), [p.status for p in photos]
    assert platform.calls.count("media/get") >= PHOTOS

    # The day's pushes, each once: the kickoff to every liaison, the nudge to (at least) the units
    # that never reported, the digest to the contact; nothing of the next day.
    sent = Counter((user, m.content) for m in platform.messages for user in m.touser)
    for user in REPORTERS | QUIET:
        assert sent[(user, kickoff_text)] == 1, user
    nudge = next(p.text for p in build_plan(settings) if p.kind == PushKind.REPORT_NUDGE)
    assert {user for (user, text) in sent if text == nudge} >= set(QUIET)
    assert max(count for (user, text), count in sent.items() if text == nudge) == 1
    assert digests(platform) == 1
    assert not [m for m in platform.messages if "4月21日" in m.content]

    # Tokens: never two refreshes at once, and about one per expiry of the leaders' clocks
    # (7,200 s tokens refreshed 5 minutes early over ~16 virtual hours, and one per leader change).
    assert tokens["most"] == 1
    assert 1 <= tokens["total"] <= 16 * 3600 // 6900 + 2, tokens


def kickoff_recorded(settings: Settings) -> bool:
    """Every kickoff row of the outbox is settled (sent), none still pending or being sent."""
    db = Database(settings.storage.database_url)
    try:
        statuses = db.call(
            lambda session: set(session.exec(select(OutboxMessage.status).where(OutboxMessage.kind == "week_kickoff")))
        )
    finally:
        db.close()
    return statuses == {"sent"}


def digests(platform: PlatformState) -> int:
    return sum(1 for m in platform.messages if m.content.startswith("今日汇总（4月20日）") and CONTACT in m.touser)


def photos_settled(db: Database) -> bool:
    def look(session: Any) -> bool:
        pending = session.exec(select(Photo).where(Photo.status == PhotoStatus.PENDING)).first()
        unfinished = session.exec(select(Job).where(col(Job.status).in_(("queued", "running")))).first()
        return pending is None and unfinished is None

    return bool(db.call(look))
