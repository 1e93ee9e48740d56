"""The sandbox WeChat platform as `weekbot serve` runs it: beside the bot (one process), or in the
supervisor of `--workers N`, which then serves nothing else (so it loads no more than this)."""

from __future__ import annotations

import logging
import socket
from contextlib import AsyncExitStack

from bot.config import Settings
from bot.sandbox.platform import make_platform_app
from bot.sandbox.state import PlatformState
from bot.web.connections import start_site
from scheduler.clock import Clock

log = logging.getLogger(__name__)


async def start_sandbox(
    settings: Settings, clock: Clock, stack: AsyncExitStack, sock: socket.socket | None = None
) -> tuple[str, PlatformState]:
    """The sandbox WeChat platform (on [sandbox]'s host and port, or the listening ``sock`` bound
    for it), until ``stack`` closes; its URL and its state."""
    # The platform keeps the bot's time, so token expiry and duplicate checks agree with it.
    state = PlatformState(settings.channels.wecom, settings.channels.mp, clock=clock)
    platform_url = await start_site(
        make_platform_app(state), settings.sandbox.host, settings.sandbox.port, stack, sock=sock
    )
    log.info("sandbox WeChat platform on %s", platform_url)
    return platform_url, state
