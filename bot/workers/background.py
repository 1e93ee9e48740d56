"""Background work beside the webhook: the outbound API clients and the media worker."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import aiohttp

from bot.runtime import Runtime
from bot.wechat_api import OfficialAccountClient, RetryPolicy, TokenCache, WeComClient
from bot.wechat_api.group_robot import GroupRobotClient
from bot.workers.media import MediaWorker, make_fetch


@dataclass
class Background:
    http: aiohttp.ClientSession
    tokens: TokenCache
    wecom: WeComClient | None
    mp: OfficialAccountClient | None
    media: MediaWorker
    group_robot: GroupRobotClient | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.http.close()


async def open_background(runtime: Runtime, *, policy: RetryPolicy | None = None, run: bool = True) -> Background:
    """Clients and workers for a runtime; with run=False nothing is started (tests drive them)."""
    settings = runtime.settings
    http = aiohttp.ClientSession()
    tokens = TokenCache(runtime.db, runtime.clock)
    policy = policy or RetryPolicy()
    wecom = WeComClient(http, settings.channels.wecom, tokens, policy) if settings.channels.wecom.enabled else None
    mp = OfficialAccountClient(http, settings.channels.mp, tokens, policy) if settings.channels.mp.enabled else None
    media = MediaWorker(
        runtime.db,
        runtime.clock,
        make_fetch(wecom, mp),
        runtime.photos,
        (settings.ceremony.at.date(), settings.campaign.week_end),
    )
    robot = settings.group_robot
    group_robot = GroupRobotClient(http, robot.api_base, robot.key, policy) if robot.enabled else None
    background = Background(http, tokens, wecom, mp, media, group_robot)
    if run:
        task = asyncio.create_task(media.run_forever(), name="media-worker")
        background.tasks.append(task)
        runtime.health.watch_loop("media_worker", task, media.heartbeat)
    return background
