"""What every sandbox platform endpoint answers with: WeChat's JSON replies and errors, the
state the app carries, and the token check of a POST. Its own module so the platform's
endpoint modules (platform, control, menu_robot) share it without importing each other."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.state import Channel, PlatformState, StoredMedia

STATE_KEY = web.AppKey("sandbox_platform_state", PlatformState)


def error(errcode: int, errmsg: str) -> web.Response:
    return web.json_response({"errcode": errcode, "errmsg": errmsg})


def ok(**fields: Any) -> web.Response:
    return web.json_response({"errcode": 0, "errmsg": "ok", **fields})


async def authorised_body(request: web.Request, *channels: Channel) -> dict[str, Any] | web.Response:
    """The JSON body of a tokened POST, or the error response to send instead."""
    state = request.app[STATE_KEY]
    problem = state.token_error(request.query.get("access_token"), channels)
    if problem:
        return error(*problem)
    try:
        body = await request.json()
    except ValueError:
        return error(47001, "data format error")
    return body if isinstance(body, dict) else error(47001, "data format error")


def dumps(value: Any) -> str:
    return json.dumps(value, default=lambda o: o.isoformat() if isinstance(o, datetime) else str(o))


def media_response(media: StoredMedia) -> web.Response:
    headers = {}
    if media.filename:
        disposition = (
            f'attachment; filename="{media.filename}"'
            if media.filename.isascii() and '"' not in media.filename
            else f"attachment; filename*=UTF-8''{quote(media.filename)}"
        )
        headers["Content-Disposition"] = disposition
    return web.Response(body=media.data, content_type=media.content_type, headers=headers)
