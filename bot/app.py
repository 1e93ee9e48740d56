"""The aiohttp application: WeChat callback routes, and the web desk (bot.dashboard) when given.

Answering WeChat is the hot path: verify, decrypt, store, handle, reply — no outbound HTTP here;
anything slow (media download, image work, pushes) is queued for a background worker.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.channels.wire import MAX_BODY, Rejected, bad_request
from bot.pipeline import HandlingFailed, MessagePipeline
from handlers.desk_routes import DASHBOARD_PREFIX
from handlers.inbound import Inbound
from scheduler.clock import Clock

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def verify_url(self, query: Any) -> str: ...
    def decode(self, query: Any, body: bytes) -> tuple[Inbound, Any]: ...
    def encode_reply(self, fields: Any, text: str, query: Any, now: Any) -> str: ...


Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def refuse_cleanly(request: web.Request, handler: Route) -> web.StreamResponse:
    """Map rejections to 403/400 with a one-line body; never a traceback to the caller."""
    try:
        return await handler(request)
    except Rejected as exc:
        log.info("rejected %s %s: %s", request.method, request.path, exc.reason)
        return web.Response(status=exc.status, text=exc.reason)
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=400, text="body too large")
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return web.Response(status=500, text="internal error")


async def read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise bad_request("body too large")
    body = await request.read()
    if len(body) > MAX_BODY:
        raise bad_request("body too large")
    return body


def callback_routes(channel: Channel, pipeline: MessagePipeline, clock: Clock) -> tuple[Route, Route]:
    async def verify(request: web.Request) -> web.Response:
        return web.Response(text=channel.verify_url(request.query))

    async def receive(request: web.Request) -> web.Response:
        inbound, fields = channel.decode(request.query, await read_body(request))
        try:
            reply = await pipeline.process(inbound)
        except HandlingFailed:
            # Stored, not handled (the pipeline logged why): no 200, so WeChat retries and the
            # retry handles the stored row; bot.rehandler takes what outlasts the retries.
            return web.Response(status=503, text="stored; handling failed, retry later")
        if not reply:
            return web.Response(text="success")
        xml = channel.encode_reply(fields, reply, request.query, clock.now())
        return web.Response(text=xml, content_type="application/xml")

    return verify, receive


def build_app(
    channels: dict[str, Channel],
    pipeline: MessagePipeline,
    clock: Clock,
    dashboard: web.Application | None = None,
) -> web.Application:
    app = web.Application(middlewares=[refuse_cleanly], client_max_size=MAX_BODY + 1)
    paths = {"wecom": "/wechat/work", "mp": "/wechat/mp"}
    for name, channel in channels.items():
        verify, receive = callback_routes(channel, pipeline, clock)
        app.router.add_get(paths[name], verify)
        app.router.add_post(paths[name], receive)
    app.router.add_get("/healthz", _healthz)
    if dashboard is not None:
        # A typed "/dash" lands on the desk too (registered first: the sub-app claims its prefix).
        app.router.add_get(DASHBOARD_PREFIX, _to_dashboard)
        app.add_subapp(DASHBOARD_PREFIX, dashboard)
    return app


async def _to_dashboard(_request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{DASHBOARD_PREFIX}/")


async def _healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")
