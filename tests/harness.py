"""A WeTest-style harness: the real bot app on a loopback port, simulated users posting real,
signed and encrypted callbacks to it, and a manual clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp.test_utils import TestServer
from sqlmodel import SQLModel, select

from bot.config import Settings, load_config
from bot.runtime import Runtime
from bot.sandbox.callbacks import MpSealer, WeComUser
from bot.sandbox.chat_page import ChatPage
from bot.sandbox.platform import make_platform_app, sandboxed
from bot.sandbox.state import PlatformState
from bot.server.serve import web_app_for
from bot.wechat_api import RetryPolicy
from bot.workers.background import open_background
from handlers.binding import code_table
from handlers.deps import Deps
from scheduler.clock import TZ, Clock, ManualClock
from storage.db import Database
from tests import backends
from tests.conftest import EXAMPLE

Row = TypeVar("Row", bound=SQLModel)

START = datetime(2026, 4, 20, 10, 5, tzinfo=TZ)


def database_url(tmp_path: Path) -> str:
    """The database the ``backend`` fixture chose: a fresh PostgreSQL database, or SQLite in ``tmp_path``."""
    return backends.current() or f"sqlite:///{tmp_path}/t.db"


def make_settings(tmp_path: Path, **env: str) -> Settings:
    """The example campaign with its data under ``tmp_path``, on the database the ``backend``
    fixture chose (SQLite unless a test runs on PostgreSQL)."""
    database = {"WEEKBOT_DATABASE_URL": backends.current()} if backends.current() else {}
    return load_config(EXAMPLE, env={"WEEKBOT_DATA_DIR": str(tmp_path / "data"), **database, **env})


def invite_code_for(deps: Deps, unit_name: str, role: str = "liaison") -> str:
    """The invite code that binds to ``unit_name`` with ``role`` (liaison, or admin for the contact)."""
    return next(code for code, g in code_table(deps).items() if g.unit_name == unit_name and g.role == role)


def table_rows(db: Database, model: type[Row]) -> list[Row]:
    """Every row of ``model``'s table in insertion (primary key) order, on either database."""
    query = select(model).order_by(*model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    return db.call(lambda s: list(s.exec(query).all()))


def with_mp(settings: Settings, **changes: object) -> Settings:
    """``settings`` with the Official Account's config changed (e.g. ``allow_plaintext=True``)."""
    mp = settings.channels.mp.model_copy(update=changes)
    return settings.model_copy(update={"channels": settings.channels.model_copy(update={"mp": mp})})


class Harness:
    """The bot app and the sandbox platform on loopback ports; background workers are not
    started, tests drive them (``await bot.background.media.run_until_idle()``)."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        platform: PlatformState | None = None,
        *,
        chat_page: bool = False,
    ) -> None:
        self.clock = clock or ManualClock(START)
        # Passing the previous harness's platform keeps its media and records across a "restart".
        self.platform = platform or PlatformState(settings.channels.wecom, settings.channels.mp, clock=self.clock)
        self.platform_server = TestServer(make_platform_app(self.platform), host="127.0.0.1")
        self.base_settings = settings
        self.settings = settings
        self.server: TestServer | None = None
        self.with_chat_page = chat_page  # mount the sandbox chat page at /sandbox/, as a sandbox serve does
        self.chat_page: ChatPage | None = None
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Harness:
        await self.platform_server.start_server()
        self.settings = sandboxed(self.base_settings, str(self.platform_server.make_url("")).rstrip("/"))
        self.runtime = Runtime.create(self.settings, self.clock)
        self.background = await open_background(self.runtime, policy=RetryPolicy(base_delay=0), run=False)
        app, self.chat_page = web_app_for(self.runtime, self.platform if self.with_chat_page else None)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.http and self.server
        await self.http.close()
        await self.server.close()
        await self.background.close()
        await self.platform_server.close()
        self.runtime.close()

    def url(self, path: str) -> str:
        assert self.server
        return str(self.server.make_url(path))

    def wecom(self, user_id: str) -> WeComUser:
        assert self.http
        return WeComUser(self.http, self.url("/wechat/work"), self.settings.channels.wecom, user_id)

    def mp_sealer(self) -> MpSealer:
        return MpSealer(self.settings.channels.mp)

    def code_for(self, unit_name: str, role: str = "liaison") -> str:
        return invite_code_for(self.runtime.deps, unit_name, role)

    async def say(self, user_id: str, text: str) -> str | None:
        return await self.wecom(user_id).say(text, self.clock.now())

    async def send(self, user_id: str, msg_type: str, **fields: Any) -> str | None:
        return await self.wecom(user_id).send(msg_type, fields, self.clock.now())

    async def click(self, user_id: str, task_id: str, key: str) -> str | None:
        """Tap a button of a card the platform delivered: its click callback, through the webhook."""
        code = self.platform.click(task_id, user_id, key)
        user = self.wecom(user_id)
        xml = user.card_click_xml(task_id, key, code, self.clock.now())
        status, reply = await user.post(xml, self.clock.now())
        assert status == 200, reply
        return reply

    async def send_photo(self, user_id: str, data: bytes) -> str | None:
        media_id = self.platform.add_media(data, "image/jpeg", "photo.jpg")
        return await self.send(user_id, "image", MediaId=media_id, PicUrl="http://127.0.0.1/unused.jpg")

    async def bound(self, user_id: str, unit_name: str) -> None:
        reply = await self.say(user_id, f"绑定 {self.code_for(unit_name)}")
        assert reply and reply.startswith("绑定成功"), reply

    def rows(self, model: Any) -> list[Any]:
        return table_rows(self.runtime.db, model)
