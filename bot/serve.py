"""`weekbot serve`: the webhook app, and with sandbox on, the fake WeChat platform beside it."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

from aiohttp import web

from bot.app import build_app
from bot.backup.daily import DailyBackup
from bot.channels.replay import ReplayGuard
from bot.config import ServerConfig, Settings
from bot.connections import ConnectionGuard, GuardedSite
from bot.dashboard import dashboard_app
from bot.datalock import hold_data_dir
from bot.push_worker import start_push_worker
from bot.runtime import Runtime
from bot.sandbox.chat_page import ChatPage, chat_page_app
from bot.sandbox.platform import make_platform_app
from bot.sandbox.state import PlatformState
from bot.workers import open_background
from scheduler.clock import Clock
from scheduler.executor import VirtualRunner

log = logging.getLogger(__name__)


def sandboxed(settings: Settings, platform_url: str) -> Settings:
    """Settings whose API base URLs point at the sandbox platform."""
    channels = settings.channels.model_copy(
        update={
            "wecom": settings.channels.wecom.model_copy(update={"api_base": platform_url}),
            "mp": settings.channels.mp.model_copy(update={"api_base": platform_url}),
        }
    )
    group_robot = settings.group_robot.model_copy(update={"api_base": platform_url})
    return settings.model_copy(update={"channels": channels, "group_robot": group_robot})


async def start_site(
    app: web.Application, host: str, port: int, stack: AsyncExitStack, limits: ServerConfig | None = None
) -> str:
    """Serve ``app`` on host:port with bounded connections (bot.connections; ``limits`` defaults
    to [server]'s defaults) until ``stack`` closes; returns its URL."""
    limits = limits or ServerConfig()
    # The keep-alive timer is the header deadline of a kept-alive connection's next request; a body
    # the app did not read (refused early, or too slow: 408) is drained for at most the body
    # deadline before the connection is closed.
    runner = web.AppRunner(
        app,
        access_log=None,
        keepalive_timeout=limits.header_timeout_seconds,
        lingering_time=limits.body_timeout_seconds,
    )
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    assert runner.server is not None
    guard = ConnectionGuard(runner.server, limits.header_timeout_seconds, limits.max_connections)
    site = GuardedSite(runner, host, port, guard)
    await site.start()
    bound_port = runner.addresses[0][1]
    return f"http://{host}:{bound_port}"


def web_app(runtime: Runtime, sandbox_page: web.Application | None = None) -> web.Application:
    """The bot's web app: the WeChat callbacks, the desk at /dash/, and ``sandbox_page`` (the
    sandbox chat page) at /sandbox/. Built here, above both the Runtime and the desk that reads it."""
    replay_guard = ReplayGuard(runtime.db, runtime.clock, runtime.settings.channels.mp.plaintext_window_seconds)
    return build_app(
        runtime.channels,
        runtime.pipeline,
        runtime.clock,
        runtime.health,
        replay_guard,
        body_timeout=runtime.settings.server.body_timeout_seconds,
        dashboard=dashboard_app(runtime),
        sandbox_page=sandbox_page,
    )


def web_app_for(runtime: Runtime, platform: PlatformState | None) -> tuple[web.Application, ChatPage | None]:
    """The bot's web app; with the sandbox platform (sandbox on), the chat page at /sandbox/ too."""
    if platform is None or "wecom" not in runtime.channels:
        return web_app(runtime), None
    page = ChatPage(runtime.settings, runtime.deps, platform, runtime.clock)
    return web_app(runtime, sandbox_page=chat_page_app(page)), page


async def serve(settings: Settings, clock: Clock, host: str, port: int) -> None:
    async with AsyncExitStack() as stack:
        stack.enter_context(hold_data_dir(settings.data_dir, "serve"))
        state: PlatformState | None = None
        if settings.sandbox.enabled:
            # The platform keeps the bot's time, so token expiry and duplicate checks agree with it.
            state = PlatformState(settings.channels.wecom, settings.channels.mp, clock=clock)
            platform_url = await start_site(
                make_platform_app(state), settings.sandbox.host, settings.sandbox.port, stack
            )
            settings = sandboxed(settings, platform_url)
            log.info("sandbox WeChat platform on %s", platform_url)
        runtime = Runtime.create(settings, clock)
        stack.callback(runtime.close)
        background = await open_background(runtime)
        stack.push_async_callback(background.close)
        app, chat_page = web_app_for(runtime, state)
        url = await start_site(app, host, port, stack, settings.server)
        worker = await start_push_worker(runtime, background)
        stack.push_async_callback(worker.stop)
        if chat_page is not None and isinstance(worker.executor, VirtualRunner):
            chat_page.rehearsal = worker.executor  # the clock panel's "jump to the next push"
        if settings.backup.enabled:
            stack.push_async_callback(DailyBackup(settings, runtime.db, clock).start().stop)
        log.info("weekbot listening on %s (WeCom: /wechat/work, Official Account: /wechat/mp)", url)
        if chat_page is not None:
            log.info("sandbox chat page on %s/sandbox/", url)
        print(f"weekbot: serving on {url}", flush=True)
        await _until_signalled()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
