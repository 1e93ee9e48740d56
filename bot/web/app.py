"""The aiohttp application: WeChat callback routes, and the web desk (bot.dashboard) when given.

Answering WeChat is the hot path: verify, decrypt, store, handle, reply — no outbound HTTP here;
anything slow (media download, image work, pushes) is queued for a background worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.channels.replay import ReplayGuard
from bot.channels.wire import MAX_BODY, Decoded, Rejected, bad_request
from bot.config import DASHBOARD_PREFIX
from bot.pipeline.group_commit import MessagePipeline, NotAnswered
from bot.web.health import HealthMonitor
from scheduler.clock import Clock
from storage.models import ChannelKind

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: ChannelKind

    def verify_url(self, query: Any) -> str: ...
    def decode(self, query: Any, body: bytes) -> Decoded: ...
    def encode_reply(self, fields: Any, text: str, query: Any, now: Any) -> str: ...


Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def refuse_cleanly(request: web.Request, handler: Route) -> web.StreamResponse:
    """Map rejections to 403/400 with a one-line body; never a traceback to the caller."""
    try:
        return await handler(request)
    except Rejected as exc:
        log.info("rejected %s %s: %s", request.method, request.path, exc.reason)
        response = web.Response(status=exc.status, text=exc.reason)
        if exc.status == REQUEST_TIMEOUT:
            response.force_close()  # the rest of a slow body is not waited for
        return response
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=400, text="body too large")
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return web.Response(status=500, text="internal error")


REQUEST_TIMEOUT = 408
# The sandbox chat page (bot.sandbox.chat_page), mounted only when the sandbox is on.
SANDBOX_PREFIX = "/sandbox"


async def read_body(request: web.Request, timeout: float) -> bytes:
    """The callback's body, read within ``timeout`` seconds; a sender that gives up halfway or
    trickles its body is answered in one log line, not a traceback."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise bad_request("body too large")
    try:
        if request.content.is_eof():
            # Already buffered whole (a callback's small body usually comes with its headers):
            # reading cannot wait, so no deadline is armed (that costs ~3 µs a request).
            body = await request.read()
        else:
            async with asyncio.timeout(timeout):
                body = await request.read()
    except TimeoutError:
        raise Rejected(REQUEST_TIMEOUT, f"body not received within {timeout:g} s") from None
    except (ConnectionError, web.RequestPayloadError):  # gone mid-body, or a broken chunked body
        raise bad_request("upload aborted by the client") from None
    if len(body) > MAX_BODY:
        raise bad_request("body too large")
    return body


def callback_routes(
    channel: Channel, pipeline: MessagePipeline, clock: Clock, replay_guard: ReplayGuard, body_timeout: float
) -> tuple[Route, Route]:
    async def verify(request: web.Request) -> web.Response:
        return web.Response(text=channel.verify_url(request.query))

    async def receive(request: web.Request) -> web.Response:
        decoded = channel.decode(request.query, await read_body(request, body_timeout))
        if decoded.unsigned_body is not None:
            # Plaintext mode: the signature does not cover the body (bot.channels.replay).
            await replay_guard.admit(channel.name, decoded.unsigned_body, decoded.inbound.dedupe_key)
        try:
            reply = await pipeline.process(decoded.inbound)
        except NotAnswered as exc:
            # Not handled, or not even stored (the pipeline logged why): no 200, so WeChat retries
            # and the retry handles the stored row; bot.workers.rehandler takes what outlasts the retries.
            return web.Response(status=503, text=f"not handled ({type(exc).__name__}), retry later")
        if not reply:
            return web.Response(text="success")
        xml = channel.encode_reply(decoded.fields, reply, request.query, clock.now())
        return web.Response(text=xml, content_type="application/xml")

    return verify, receive


def build_app(
    channels: dict[ChannelKind, Channel],
    pipeline: MessagePipeline,
    clock: Clock,
    health: HealthMonitor,
    replay_guard: ReplayGuard,
    body_timeout: float,
    dashboard: web.Application | None = None,
    sandbox_page: web.Application | None = None,
) -> web.Application:
    app = web.Application(middlewares=[refuse_cleanly], client_max_size=MAX_BODY + 1)
    paths = {ChannelKind.WECOM: "/wechat/work", ChannelKind.MP: "/wechat/mp"}
    for name, channel in channels.items():
        verify, receive = callback_routes(channel, pipeline, clock, replay_guard, body_timeout)
        app.router.add_get(paths[name], verify)
        app.router.add_post(paths[name], receive)
    app.router.add_get("/healthz", health.handle)
    if dashboard is not None:
        # A typed "/dash" lands on the desk too (registered first: the sub-app claims its prefix).
        app.router.add_get(DASHBOARD_PREFIX, _to_dashboard)
        app.add_subapp(DASHBOARD_PREFIX, dashboard)
    if sandbox_page is not None:
        app.router.add_get(SANDBOX_PREFIX, _to_sandbox_page)
        app.add_subapp(SANDBOX_PREFIX, sandbox_page)
    return app


async def _to_dashboard(_request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{DASHBOARD_PREFIX}/")


async def _to_sandbox_page(_request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{SANDBOX_PREFIX}/")
