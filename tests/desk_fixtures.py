"""Shared by the desk tests: a bot with a few units' reports, photos, an RSVP and a summary, all
sent through the webhook, and an HTTP client that keeps cookies and logs in the way people do:
``后台`` in chat, then the one-time link; a local SMTP inbox for the mail button; and what the
tests read back (a unit's records, its photo, a record's audit rows, an edit form)."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiosmtpd.smtp import Envelope
from sqlmodel import Session, select

from bot.config import MailConfig, Settings
from storage.models import Activity, AuditLog, Unit
from storage.outbox import OutboxMessage, put
from storage.photos import Photo
from tests.harness import Harness, make_settings
from tests.test_photo_intake import photo_bytes

CONTACT = "tianlin"  # the contact person's WeCom userid in config.example.toml
UNIT, UNIT_LIAISON = "市商务局", "wang"
OTHER, OTHER_LIAISON = "朝阳海关", "li"
# What seeded() reports, as the desk and the exports must total it.
SEEDED_ACTIVITIES = 3
SEEDED_MATERIALS = 300
SEEDED_CONSULTATIONS = 60
SEEDED_PARTICIPANTS = 80
SEEDED_PHOTOS = 3
FAILED_PUSH_KEY = "nudge:2026-04-20:li"
LINK = re.compile(r"(https?://\S+?)(/dash/login/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@asynccontextmanager
async def seeded(tmp_path: Path, settings: Settings | None = None) -> AsyncIterator[Harness]:
    async with Harness(settings or make_settings(tmp_path)) as bot:
        await bot.bound(UNIT_LIAISON, UNIT)
        await bot.bound(OTHER_LIAISON, OTHER)
        await bot.say(UNIT_LIAISON, "今天上午在新华路商圈开展集中宣传，发放资料200份，咨询40人次")
        for seed in (1, 2):
            await bot.send_photo(UNIT_LIAISON, photo_bytes(seed, bot.clock.now()))
        bot.clock.advance(timedelta(hours=3))
        await bot.say(UNIT_LIAISON, "今天下午在商务局会议室举办知识产权培训讲座，参与80人")
        await bot.say(OTHER_LIAISON, "今天在海关大厅开展集中宣传，发放资料约100份，咨询20人次")
        await bot.send_photo(OTHER_LIAISON, photo_bytes(3, bot.clock.now()))
        await bot.say(OTHER_LIAISON, "参会 张伟 13812345678")
        await bot.say(OTHER_LIAISON, "总结已发送")
        assert await bot.background.media.run_until_idle() == SEEDED_PHOTOS
        bot.runtime.db.call(lambda session: _failed_push(session, bot.clock.now()))
        yield bot


def _failed_push(session: Session, now: datetime) -> None:
    """A nudge the platform kept refusing, as the sender leaves it (for the failed-pushes page)."""
    put(
        session,
        key=FAILED_PUSH_KEY,
        kind="report_nudge",
        channel="wecom",
        recipient=OTHER_LIAISON,
        text="今晚请报送今天的活动。",
        now=now,
    )
    row = session.exec(select(OutboxMessage).where(OutboxMessage.key == FAILED_PUSH_KEY)).one()
    row.status, row.attempts, row.finished_at, row.extra = "failed", 5, now, {"unit": OTHER}
    row.errcode, row.error = 60020, "not allow to access from your ip"
    session.add(row)


def unit_id(bot: Harness, name: str) -> int:
    return bot.runtime.db.call(lambda s: s.exec(select(Unit.id).where(Unit.name == name)).one())


async def login_path(bot: Harness, user_id: str) -> str:
    """Send 后台 and return the path of the link that comes back."""
    reply = await bot.say(user_id, "后台")
    found = LINK.search(reply or "")
    assert found, reply
    assert found.group(1) == bot.settings.server.public_url
    return found.group(2)


class DeskClient:
    """A browser stand-in: keeps the session cookie and reads CSRF tokens off pages."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        # unsafe=True: accept cookies from an IP address host (the loopback test server).
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def __aenter__(self) -> DeskClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.bot.url(path), allow_redirects=False) as response:
            return response.status, await response.text(errors="replace")

    async def post(self, path: str, data: dict[str, Any]) -> tuple[int, str]:
        async with self.http.post(self.bot.url(path), data=data, allow_redirects=False) as response:
            location = response.headers.get("Location", "")
            return response.status, location or await response.text(errors="replace")

    async def log_in(self, user_id: str) -> str:
        """Log in through a fresh 后台 link; returns where the desk sends the new session."""
        path = await login_path(self.bot, user_id)
        status, page = await self.get(path)
        assert status == 200 and "进入后台" in page, page
        status, landing = await self.post(path, {})
        assert status == 303, landing
        return landing

    async def csrf(self, path: str = "/dash/activities") -> str:
        status, page = await self.get(path)
        assert status == 200, page
        found = CSRF.search(page)
        assert found, page
        return found.group(1)


class Inbox:
    """An aiosmtpd handler that keeps what it is sent: the far end of the desk's mail button."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mailing_to(tmp_path: Path, port: int) -> Settings:
    """Settings whose [mail] is a plain SMTP server on a loopback port."""
    settings = make_settings(tmp_path)
    return settings.model_copy(update={"mail": MailConfig(host="127.0.0.1", port=port, tls="none")})


def records(bot: Harness, name: str) -> list[Activity]:
    wanted = unit_id(bot, name)
    return sorted((a for a in bot.rows(Activity) if a.unit_id == wanted), key=lambda a: a.id or 0)


def photo_of(bot: Harness, name: str) -> Photo:
    wanted = unit_id(bot, name)
    return next(p for p in bot.rows(Photo) if p.unit_id == wanted)


def audit_of(bot: Harness, activity: Activity) -> list[AuditLog]:
    return [row for row in bot.rows(AuditLog) if row.target == f"activity:{activity.id}"]


def edit_form(activity: Activity, csrf: str, **changes: object) -> dict[str, str]:
    form = {"csrf": csrf, "date": activity.date.isoformat(), "type": activity.type, "location": activity.location}
    for field in ("materials", "consultations", "participants", "enterprises", "articles"):
        value = getattr(activity, field)
        form[field] = "" if value is None else str(value)
    form.update({key: str(value) for key, value in changes.items()})
    return {key: value or "" for key, value in form.items()}
