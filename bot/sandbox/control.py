"""The sandbox platform's control endpoints (/_sandbox/*): what tests, the demo and the chat page
use to look inside it or make it misbehave. WeChat has nothing like them."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.sandbox.answers import STATE_KEY, dumps, media_response


def add_control_routes(app: web.Application) -> None:
    app.router.add_get("/_sandbox/messages", _control_messages)
    app.router.add_post("/_sandbox/faults", _control_faults)
    app.router.add_post("/_sandbox/media", _control_add_media)
    app.router.add_get("/_sandbox/media/{media_id}", _control_get_media)
    app.router.add_post("/_sandbox/expire-tokens", _control_expire_tokens)
    app.router.add_post("/_sandbox/reset", _control_reset)


class FaultSpec(BaseModel):
    """The body of ``POST /_sandbox/faults``: the arguments of ``PlatformState.inject``."""

    model_config = ConfigDict(extra="forbid")
    endpoint: str = "*"
    errcode: int | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    stall: float | None = Field(default=None, ge=0)
    times: int = Field(default=1, ge=1)


async def _control_messages(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    user = request.query.get("touser")
    messages = state.messages_to(user) if user else state.messages
    return web.json_response([asdict(message) for message in messages], dumps=dumps)


async def _control_faults(request: web.Request) -> web.Response:
    try:
        spec = FaultSpec.model_validate(await request.json())
        request.app[STATE_KEY].inject(**spec.model_dump())
    except ValueError as exc:  # bad JSON, or pydantic's ValidationError
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"ok": True})


async def _control_add_media(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    data = await request.read()
    if not data:
        return web.json_response({"error": "empty body"}, status=400)
    media_id = state.add_media(data, request.content_type, request.query.get("filename"))
    url = f"{request.url.origin()}/_sandbox/media/{media_id}"
    return web.json_response({"media_id": media_id, "url": url})


async def _control_get_media(request: web.Request) -> web.Response:
    """A plain URL for stored media, used as an image message's PicUrl."""
    media = request.app[STATE_KEY].media.get(request.match_info["media_id"])
    if media is None:
        raise web.HTTPNotFound()
    return media_response(media)


async def _control_expire_tokens(request: web.Request) -> web.Response:
    request.app[STATE_KEY].expire_tokens()
    return web.json_response({"ok": True})


async def _control_reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return web.json_response({"ok": True})
