"""A real `weekbot serve` on fast virtual time, SIGKILLed mid-campaign and restarted on the same
database: every planned push reaches its audience exactly once.

The sandbox platform runs here in the test process (it must outlive the bot), and the bot is
pointed at it with WEEKBOT_*_API_BASE; what it received is read over its /_sandbox/messages
control API.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlmodel import select

from bot.config import Settings
from bot.runtime import open_database
from bot.sandbox.platform import make_platform_app
from bot.sandbox.state import PlatformState
from scheduler.audiences import reporting_units
from scheduler.clock import TZ
from scheduler.plan import Audience, PushKind, build_plan
from storage.campaign_status import register_attendees
from storage.models import Liaison, Unit
from storage.outbox import OutboxMessage
from tests.conftest import EXAMPLE, ROOT
from tests.golive import PRODUCTION_ENV
from tests.harness import make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

SPEED = 150_000  # a virtual day in about 0.6 s
LIAISONS = {"wangl": "市商务局", "lihg": "朝阳海关", "kjzhang": "市科技局", "jpzhao": "建平县知识产权局"}
CONFIRMED = "市商务局"
FIRST_START = datetime(2026, 4, 13, 22, 5, tzinfo=TZ)
# Down from the kill (shortly after the 04-20 kickoff) until after that evening's nudge time:
# the nudge is still useful until midnight, so it must go out late, once.
SECOND_START = datetime(2026, 4, 20, 19, 45, tzinfo=TZ)
Messages = list[dict[str, Any]]


def seed(settings: Settings) -> None:
    db = open_database(settings)

    def write(session: Any) -> None:
        units = {unit.name: unit for unit in session.exec(Unit.__table__.select()).all()}
        for user, unit in LIAISONS.items():
            session.add(Liaison(channel="wecom", user_id=user, unit_id=units[unit].id, bound_at=FIRST_START))
        register_attendees(session, units[CONFIRMED].id, [("王磊", "13900001111")], "wecom:wangl", FIRST_START)

    db.call(write)
    db.close()


def expected_deliveries(settings: Settings) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """(user, text) for pushes with fixed texts; and per-user counts of composed digests/rollups."""
    everyone = set(LIAISONS)
    members = {u for u, unit in LIAISONS.items() if unit in {c.name for c in settings.units if c.kind == "member"}}
    assert {u.name for u in reporting_units(settings.units)} >= set(LIAISONS.values())
    audiences: dict[Audience, set[str]] = {
        Audience.MEMBER_UNITS: members,
        Audience.UNCONFIRMED_UNITS: {u for u in members if LIAISONS[u] != CONFIRMED},
        Audience.CONFIRMED_LIAISONS: {u for u in everyone if LIAISONS[u] == CONFIRMED},
        Audience.ALL_LIAISONS: everyone,
        Audience.SILENT_UNITS_TODAY: everyone,
        Audience.UNITS_WITHOUT_SUMMARY: everyone,
        Audience.CONTACT: {"tianlin"},
    }
    fixed: Counter[tuple[str, str]] = Counter()
    composed: Counter[str] = Counter()
    for push in build_plan(settings):
        for user in audiences[push.audience]:
            if push.kind in (PushKind.DIGEST, PushKind.FINAL_ROLLUP):
                composed[user] += 1
            else:
                # WeCom members get a push that has a card as that card, its text under the title.
                fixed[(user, push.card.description if push.card else push.text)] += 1
    return fixed, composed


def delivered_text(message: dict[str, Any]) -> str:
    """What the member reads: a text message's content, or a template card's text under its title."""
    card = message["payload"].get("template_card")
    return str(card["sub_title_text"]) if message["msgtype"] == "template_card" and card else message["content"]


class Service:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, clock_start: datetime) -> None:
        env = {**self.env, "WEEKBOT_CLOCK": f"virtual:{clock_start.isoformat()}:{SPEED}"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                # One process: the single-process restart (tests/test_two_instances.py kills workers).
                [sys.executable, "-m", "bot.cli", "serve", "--port", "0", "--workers", "1", "--config", str(EXAMPLE)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def signal(self, sig: signal.Signals) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=20)

    def describe(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


async def wait_for(
    http: aiohttp.ClientSession, url: str, done: Callable[[Messages], bool], service: Service
) -> Messages:
    for _ in range(3000):
        async with http.get(url) as resp:
            messages: Messages = await resp.json()
        if done(messages):
            return messages
        assert service.process is not None and service.process.poll() is None, service.describe()
        await asyncio.sleep(0.01)
    raise AssertionError("timed out\n" + service.describe())


async def wait_until_sent(settings: Settings, kind: str, service: Service) -> None:
    db = open_database(settings)
    try:
        for _ in range(500):
            statuses = db.call(lambda s: set(s.exec(select(OutboxMessage.status).where(OutboxMessage.kind == kind))))
            if statuses == {"sent"}:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{kind} not recorded as sent: {statuses}\n" + service.describe())
    finally:
        db.close()


def received(messages: Messages, start: str) -> bool:
    return any(delivered_text(m).startswith(start) for m in messages)


async def test_sigkill_mid_campaign_loses_and_doubles_nothing(tmp_path: Path) -> None:
    # Production values: with the sandbox off, serve refuses to start on the example's demo secrets.
    settings = make_settings(tmp_path, **PRODUCTION_ENV)
    seed(settings)
    # The bot lives on virtual time 150,000x faster than the platform's clock: WeCom's duplicate
    # check (a real-time window) would drop a day-apart reminder here, so the outbox alone is tested.
    platform = PlatformState(settings.channels.wecom, settings.channels.mp, duplicate_check=False)
    server = TestServer(make_platform_app(platform), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "WEEKBOT_DATA_DIR": str(tmp_path / "data"),
        "WEEKBOT_DATABASE_URL": settings.storage.database_url,
        "WEEKBOT_WECOM_API_BASE": base,
        "WEEKBOT_MP_API_BASE": base,
    }
    service = Service(env, tmp_path / "serve.log")
    url = f"{base}/_sandbox/messages"
    try:
        async with aiohttp.ClientSession() as http:
            service.start(FIRST_START)
            await wait_for(http, url, lambda m: received(m, "2026年朝阳市知识产权宣传周今天开始"), service)
            # Kill once the kickoff is recorded as sent (a kill between the API call and that
            # record is the one resend the outbox cannot rule out); the next push is hours away.
            await wait_until_sent(settings, "week_kickoff", service)
            assert service.signal(signal.SIGKILL) == -signal.SIGKILL
            before_kill = len(platform.messages)

            service.start(SECOND_START)
            messages = await wait_for(http, url, lambda m: received(m, "总结截止"), service)
            await asyncio.sleep(0.3)  # nothing else is due; give a stray duplicate time to show
            messages = await (await http.get(url)).json()
            assert service.signal(signal.SIGTERM) == 0, service.describe()
    finally:
        if service.process is not None and service.process.poll() is None:
            service.process.kill()
        await server.close()

    fixed, composed = expected_deliveries(settings)
    actual_fixed: Counter[tuple[str, str]] = Counter()
    actual_composed: Counter[str] = Counter()
    for message in messages:
        for user in message["touser"]:
            if (user, delivered_text(message)) in fixed:
                actual_fixed[(user, delivered_text(message))] += 1
            else:
                actual_composed[user] += 1
    assert actual_fixed == fixed
    assert actual_composed == composed
    assert 0 < before_kill < len(messages)
    nudge_texts = [m["content"] for m in messages if m["content"].startswith("今天（4月20日）还没收到")]
    assert nudge_texts == [nudge_texts[0]], "the 04-20 nudge, due while the service was down, went out once"
