"""A WeTest-style harness: the real bot app on a loopback port, simulated users posting real,
signed and encrypted callbacks to it, and a manual clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.config import Settings, load_config
from bot.runtime import Runtime
from bot.sandbox.callbacks import MpSealer, WeComUser
from handlers.binding import code_table
from scheduler.clock import TZ, ManualClock
from tests.conftest import EXAMPLE

START = datetime(2026, 4, 20, 10, 5, tzinfo=TZ)


def make_settings(tmp_path: Path, **env: str) -> Settings:
    return load_config(EXAMPLE, env={"WEEKBOT_DATA_DIR": str(tmp_path / "data"), **env})


class Harness:
    def __init__(self, settings: Settings, clock: ManualClock | None = None) -> None:
        self.settings = settings
        self.clock = clock or ManualClock(START)
        self.runtime = Runtime.create(settings, self.clock)
        self.server: TestServer | None = None
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Harness:
        self.server = TestServer(self.runtime.web_app(), host="127.0.0.1")
        await self.server.start_server()
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.http and self.server
        await self.http.close()
        await self.server.close()
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
        return next(
            code for code, g in code_table(self.runtime.deps).items() if g.unit_name == unit_name and g.role == role
        )

    async def say(self, user_id: str, text: str) -> str | None:
        return await self.wecom(user_id).say(text, self.clock.now())

    async def bound(self, user_id: str, unit_name: str) -> None:
        reply = await self.say(user_id, f"绑定 {self.code_for(unit_name)}")
        assert reply and reply.startswith("绑定成功"), reply

    def rows(self, model: Any) -> list[Any]:
        from sqlmodel import select

        return self.runtime.db.call(lambda s: list(s.exec(select(model)).all()))
