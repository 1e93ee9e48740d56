"""The sandbox platform's app menu (menu/create, both channels) and group robot webhook
(webhook/send): what each channel's menu was set to, and what each robot posted, at most
``PlatformState.robot_per_minute`` messages a minute per robot as on WeCom (45009 beyond)."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.sandbox.answers import STATE_KEY, authorised_body, dumps, error, ok
from bot.sandbox.state import API_PREFIX, RobotMessage


def add_menu_and_robot_routes(app: web.Application) -> None:
    app.router.add_post(API_PREFIX + "menu/create", _menu_create)
    app.router.add_post(API_PREFIX + "webhook/send", _robot_send)
    app.router.add_get("/_sandbox/menus", _control_menus)
    app.router.add_get("/_sandbox/robot", _control_robot)


MENU_LIMITS = (3, 5)  # top-level buttons, sub-buttons each (both platforms)
INVALID_WEBHOOK_KEY = 93000
ROBOT_MAX_IMAGE_BYTES = 2 * 1024 * 1024


async def _menu_create(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await authorised_body(request, "wecom", "mp")
    if isinstance(body, web.Response):
        return body
    channel = state.token_channel(request.query.get("access_token"))
    assert channel is not None  # authorised_body checked the token
    if channel == "wecom" and request.query.get("agentid") != str(state.wecom.agent_id):
        return error(40056, "invalid agentid")
    problem = _menu_problem(body)
    if problem:
        return error(*problem)
    state.menus[channel] = body
    return ok()


def _menu_problem(body: dict[str, Any]) -> tuple[int, str] | None:
    """What WeChat would refuse in a menu: sizes, and buttons without what their type needs."""
    buttons = body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MENU_LIMITS[0]:
        return 40016, "invalid button size"
    for button in buttons:
        subs = button.get("sub_button") if isinstance(button, dict) else None
        if subs:
            if not isinstance(subs, list) or len(subs) > MENU_LIMITS[1]:
                return 40023, "invalid sub button size"
            if not all(isinstance(sub, dict) and _button_ok(sub) for sub in subs):
                return 40027, "invalid sub button"
        elif not (isinstance(button, dict) and _button_ok(button)):
            return 40017, "invalid button type"
    return None


def _button_ok(button: dict[str, Any]) -> bool:
    if not isinstance(button.get("name"), str) or not button["name"]:
        return False
    if button.get("type") == "click":
        return isinstance(button.get("key"), str) and bool(button["key"])
    return button.get("type") == "view" and isinstance(button.get("url"), str)


async def _robot_send(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    key = request.query.get("key", "")
    if not key or (state.robot_keys and key not in state.robot_keys):
        return error(INVALID_WEBHOOK_KEY, "invalid webhook url")
    try:
        body = await request.json()
    except ValueError:
        return error(40008, "invalid message type")
    if not isinstance(body, dict):
        return error(40008, "invalid message type")
    if state.robot_rate_limited(key):
        return error(45009, "api freq out of limit")
    message = _robot_message(key, body, state.clock.now())
    if isinstance(message, web.Response):
        return message
    state.record_robot(message)
    return ok()


def _robot_message(key: str, body: dict[str, Any], at: datetime) -> RobotMessage | web.Response:
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype in ("text", "markdown") and isinstance(part, dict) and isinstance(part.get("content"), str):
        limit = 2048 if msgtype == "text" else 4096
        if len(part["content"].encode()) > limit:
            return error(40058, f"content exceeds {limit} bytes")
        return RobotMessage(key, msgtype, part["content"], None, at)
    if msgtype == "image" and isinstance(part, dict):
        try:
            data = base64.b64decode(str(part.get("base64", "")), validate=True)
        except ValueError:
            return error(40008, "invalid image base64")
        if not data or len(data) > ROBOT_MAX_IMAGE_BYTES:
            return error(40009, "invalid image size")
        if hashlib.md5(data).hexdigest() != part.get("md5"):
            return error(40008, "image md5 does not match")
        return RobotMessage(key, "image", str(part["md5"]), data, at)
    return error(40008, "invalid message type")


async def _control_menus(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].menus)


async def _control_robot(request: web.Request) -> web.Response:
    """What the group robots posted; images as their md5 and size."""
    posted = [
        {"msgtype": m.msgtype, "content": m.content, "image_bytes": len(m.image or b""), "at": m.at}
        for m in request.app[STATE_KEY].robot_messages
    ]
    return web.json_response(posted, dumps=dumps)
