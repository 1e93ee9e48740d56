"""The webhook harness plus everything that pushes: a sandbox WeChat platform on loopback, the
plan runner and the outbox sender, all on one ManualClock.

``run_until`` walks the plan like the service would, draining the outbox after each push, and
returns what the platform received for each push, so a test can assert time, kind and audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.runtime import Runtime
from bot.sandbox.callbacks import message_xml, new_msg_id, reply_content
from bot.sandbox.state import SentMessage
from bot.wechat_api import RetryPolicy
from bot.workers.background import Background, open_background
from bot.workers.push import make_firing, make_sender
from scheduler.clock import TZ, ManualClock
from scheduler.executor import VirtualRunner
from scheduler.plan import PlannedPush, build_plan
from scheduler.sender import OutboxSender
from tests.harness import Harness, make_settings

CAMPAIGN_START = datetime(2026, 4, 13, 9, 5, tzinfo=TZ)


@dataclass(frozen=True)
class Delivery:
    at: datetime
    kind: str
    users: frozenset[str]
    messages: tuple[SentMessage, ...]


class PushRig:
    def __init__(
        self,
        tmp_path: Path,
        settings: Settings | None = None,
        start: datetime = CAMPAIGN_START,
        *,
        chat_page: bool = False,  # the sandbox chat page at /sandbox/ too
    ) -> None:
        self.clock = ManualClock(start)
        self.bot = Harness(settings or make_settings(tmp_path), self.clock, chat_page=chat_page)
        self.restarted: list[tuple[Runtime, Background]] = []
        self.sender: OutboxSender
        self.runner: VirtualRunner
        self.seen = 0

    async def __aenter__(self) -> PushRig:
        await self.bot.__aenter__()
        self.settings = self.bot.settings
        self.platform = self.bot.platform
        self._start_worker(self.bot.runtime, self.bot.background)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for runtime, background in self.restarted:
            await background.close()
            runtime.close()
        await self.bot.__aexit__(*exc)

    def _start_worker(self, runtime: Runtime, background: Background) -> None:
        self.sender = make_sender(runtime, background)
        self.runner = VirtualRunner(build_plan(self.settings), self.clock, make_firing(runtime), self.sender.wake)

    async def restart(self) -> None:
        """A new push worker with its own database connection and clients, as after a process restart."""
        runtime = Runtime.create(self.settings, self.clock)
        background = await open_background(runtime, policy=RetryPolicy(base_delay=0), run=False)
        self.restarted.append((runtime, background))
        self._start_worker(runtime, background)

    async def run_until(self, moment: datetime) -> list[Delivery]:
        deliveries = []

        async def after(push: PlannedPush) -> None:
            await self.sender.drain()
            deliveries.append(self.delivery(push.at, push.kind))

        await self.runner.run_until(moment, after_each=after)
        return deliveries

    def delivery(self, at: datetime, kind: str) -> Delivery:
        fresh = tuple(self.platform.messages[self.seen :])
        self.seen = len(self.platform.messages)
        # A card shown as answered (update_template_card) is not a push to anyone.
        users = frozenset(
            user for message in fresh if message.endpoint != "message/update_template_card" for user in message.touser
        )
        return Delivery(at, kind, users, fresh)

    def new_messages(self) -> tuple[SentMessage, ...]:
        return self.delivery(self.clock.now(), "").messages

    async def say(self, user: str, text: str) -> str | None:
        return await self.bot.say(user, text)

    async def mp_say(self, openid: str, text: str) -> str | None:
        """A text from an Official Account follower, posted in safe (AES) mode."""
        now = self.clock.now()
        xml = message_xml(
            self.settings.channels.mp.app_id, openid, now, "text", {"Content": text, "MsgId": new_msg_id()}
        )
        sealer = self.bot.mp_sealer()
        sealed = sealer.seal(xml, int(now.timestamp()))
        assert self.bot.http is not None
        async with self.bot.http.post(self.bot.url("/wechat/mp"), params=sealed.query, data=sealed.body) as resp:
            assert resp.status == 200
            return reply_content(sealer.open_reply(await resp.text()))
