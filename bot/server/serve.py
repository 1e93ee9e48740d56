"""`weekbot serve`: the webhook app, and with sandbox on, the fake WeChat platform beside it.

One process here; ``--workers N`` runs N of them on one port (bot.server.supervisor). In every
process the duties that must run once per deployment start only when it wins the leader lock
(bot.server.leader); until then it serves HTTP alone.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from aiohttp import web

from bot.backup.daily import DailyBackup
from bot.channels.replay import ReplayGuard
from bot.config import Settings
from bot.dashboard import dashboard_app
from bot.runtime import Runtime
from bot.sandbox.chat_page import ChatPage, chat_page_app
from bot.sandbox.platform import sandboxed
from bot.sandbox.state import PlatformState
from bot.server.datalock import hold_data_dir, shares_data_dir
from bot.server.leader import Leadership, Role
from bot.server.sandbox_site import start_sandbox
from bot.web.app import build_app
from bot.web.connections import start_site
from bot.workers.background import open_background
from bot.workers.push import start_push_worker
from scheduler.clock import Clock
from scheduler.executor import VirtualRunner
from storage.models import ChannelKind

log = logging.getLogger(__name__)

# The youngest generation's collection threshold while serving (CPython's default: 700). A request
# allocates thousands of container objects, nearly all freed by reference counting; at 700 the
# collector ran every few requests and rescanned the in-flight ones each time (~10 µs a request
# at 32 clients), at 7,000 a tenth as often (~1 µs): cyclic garbage just waits a little longer.
YOUNG_COLLECTION_THRESHOLD = 7000


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
    if platform is None or ChannelKind.WECOM not in runtime.channels:
        return web_app(runtime), None
    page = ChatPage(runtime.settings, runtime.deps, platform, runtime.clock)
    return web_app(runtime, sandbox_page=chat_page_app(page)), page


async def serve(settings: Settings, clock: Clock, host: str, port: int) -> None:
    """`weekbot serve --workers 1`: everything in this process."""
    async with AsyncExitStack() as stack:
        stack.enter_context(hold_data_dir(settings.data_dir, "serve", shared=shares_data_dir(settings)))
        platform: PlatformState | None = None
        if settings.sandbox.enabled:
            platform_url, platform = await start_sandbox(settings, clock, stack)
            settings = sandboxed(settings, platform_url)
        url = await run_instance(settings, clock, stack, host, port, platform=platform)
        log.info("weekbot listening on %s (WeCom: /wechat/work, Official Account: /wechat/mp)", url)
        if platform is not None:
            log.info("sandbox chat page on %s/sandbox/", url)
        print(f"weekbot: serving on {url}", flush=True)
        await until_signalled()


async def serve_worker(settings: Settings, clock: Clock, sock: socket.socket, platform_url: str | None) -> None:
    """One worker of `weekbot serve --workers N`: its parent holds the data directory, owns the
    listening socket and runs the sandbox platform (at ``platform_url``) if there is one."""
    async with AsyncExitStack() as stack:
        if platform_url is not None:
            settings = sandboxed(settings, platform_url)
        host, port = sock.getsockname()[:2]
        await run_instance(settings, clock, stack, host, port, sock=sock)
        await until_signalled()


async def run_instance(
    settings: Settings,
    clock: Clock,
    stack: AsyncExitStack,
    host: str,
    port: int,
    *,
    sock: socket.socket | None = None,
    platform: PlatformState | None = None,
) -> str:
    """The webhook and desk on host:port (or ``sock``) — with the sandbox platform in this process,
    its chat page at /sandbox/ too — and the run-once duties while this process leads; until
    ``stack`` closes. Returns the URL."""
    runtime = Runtime.create(settings, clock)
    stack.callback(runtime.close)
    app, chat_page = web_app_for(runtime, platform)
    url = await start_site(app, host, port, stack, settings.server, sock=sock)
    freeze_startup_heap()

    def took_role(role: Role) -> None:
        runtime.health.role = role.value

    leadership = Leadership(settings.data_dir, lambda: start_duties(runtime, chat_page), took_role)
    leadership.start()
    stack.push_async_callback(leadership.stop)
    return url


def freeze_startup_heap() -> None:
    """Keep the collector off what start-up built and the process keeps (modules, the app, the
    config, SQLAlchemy's tables): ~150,000 objects that every full collection walked again, for
    ~100 ms with the event loop stalled (a p99 spike, and ~35 µs a request of CPU at 32 clients,
    measured with bench/webhook.py's load). Also makes young collections rarer (see the threshold)."""
    gc.collect()  # start-up's own garbage goes now, not frozen with the rest
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


async def start_duties(runtime: Runtime, chat_page: ChatPage | None = None) -> Callable[[], Awaitable[None]]:
    """The leader's work: the media worker, the plan, the sender, the re-handler, the daily
    backup. Returns what stops them all."""
    async with AsyncExitStack() as duties:
        background = await open_background(runtime)
        duties.push_async_callback(background.close)
        worker = await start_push_worker(runtime, background)
        duties.push_async_callback(worker.stop)
        if chat_page is not None and isinstance(worker.executor, VirtualRunner):
            chat_page.rehearsal = worker.executor  # the clock panel's "jump to the next push"
        if runtime.settings.backup.enabled:
            duties.push_async_callback(DailyBackup(runtime.settings, runtime.db, runtime.clock).start().stop)
        return duties.pop_all().aclose


async def until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
