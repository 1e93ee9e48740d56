"""The sandbox chat page (/sandbox/ of a sandbox `weekbot serve`): talk to the bot as any liaison,
the contact person or a stranger, in a phone-like WeCom look.

What the page sends goes the way WeChat's callbacks go: built and sealed by
bot.sandbox.callbacks.WeComUser and POSTed over loopback to the bot's own /wechat/work, never
handed to the handlers directly. What the bot sends back arrives twice over, as in WeCom: the
passive reply in the callback's answer, and every push through the sandbox platform, streamed to
the page live (server-sent events over PlatformState.watch). Template cards, the app menu and the
group chat are bot.sandbox.chat_native; the clock panel of a rehearsal is bot.sandbox.chat_clock.
Mounted only when the sandbox is on (bot.server.serve.web_app_for), and answers loopback callers only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from PIL import Image, UnidentifiedImageError
from pydantic import Field, ValidationError

from bot.config import Settings
from bot.sandbox import chat_clock, chat_native
from bot.sandbox.callbacks import WeComUser
from bot.sandbox.chat_bodies import UserBody, parsed_body
from bot.sandbox.state import PlatformState, RobotMessage, SentMessage
from handlers.binding import code_table
from handlers.deps import Deps
from scheduler.clock import Clock
from scheduler.executor import VirtualRunner
from storage.models import Role

STATIC = Path(__file__).parent / "static"
# The only files the page serves, by name: nothing a request says becomes a path.
STATIC_FILES = {"chat.css": "text/css", "chat.js": "text/javascript"}
MADE_UP_LIAISONS = 2  # per unit, bound by sending the unit's invite code from the page
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
KEEPALIVE_SECONDS = 15.0

Item = TypeVar("Item")


class TextIn(UserBody):
    text: str = Field(min_length=1, max_length=4000)


class LocationIn(UserBody):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    label: str = Field(default="", max_length=200)


class BindIn(UserBody):
    unit: str = Field(min_length=1, max_length=100)


@dataclass
class ChatPage:
    settings: Settings  # sandboxed: the channels' api_base is the sandbox platform
    deps: Deps
    platform: PlatformState
    clock: Clock
    # The plan runner of a rehearsal (WEEKBOT_CLOCK=virtual:…), once the push worker runs it.
    rehearsal: VirtualRunner | None = None
    http: aiohttp.ClientSession | None = None
    closing: bool = False
    streams: set[asyncio.Event] = field(default_factory=set)

    def made_up_liaison(self, unit_index: int, number: int) -> str:
        return f"sandbox-unit{unit_index:02d}-{number}"

    def people(self) -> dict[str, Any]:
        """Who the page can be: the contact person, every unit's liaisons (configured and made up)."""
        contact = self.settings.contact
        units = []
        for index, unit in enumerate(self.settings.units, start=1):
            configured = [{"id": user, "label": f"{user}（已配置）", "bound": True} for user in unit.wecom_userids]
            made_up = [
                {"id": self.made_up_liaison(index, n), "label": f"联络员{n}（需绑定）", "bound": False}
                for n in range(1, MADE_UP_LIAISONS + 1)
            ]
            units.append({"name": unit.name, "liaisons": configured + made_up})
        ceremony = self.settings.ceremony
        return {
            "campaign": self.settings.campaign.name,
            # The location form starts at the ceremony's venue (a check-in there), when configured.
            "venue": {"lat": ceremony.latitude, "lng": ceremony.longitude, "label": ceremony.place},
            "contact": [{"id": user, "label": f"联系人 {contact.name}"} for user in contact.wecom_userids],
            "units": units,
            # The campaign's group chat, when a group robot posts into it.
            "group": {"id": chat_native.GROUP, "label": "群聊 · 活动工作群"}
            if self.settings.group_robot.enabled
            else None,
        }

    def invite_code(self, unit_name: str) -> str | None:
        return next(
            (
                code
                for code, grant in code_table(self.deps).items()
                if grant.unit_name == unit_name and grant.role == Role.LIAISON
            ),
            None,
        )

    def media_url(self, media_id: str) -> str:
        return f"{self.settings.channels.wecom.api_base}/_sandbox/media/{media_id}"

    def person(self, request: web.Request, user: str) -> WeComUser:
        """``user`` as WeCom's callbacks to the bot's own webhook come from them."""
        assert self.http is not None, "the chat page's HTTP session opens with the app"
        return WeComUser(self.http, _webhook_url(request), self.settings.channels.wecom, user)

    async def deliver(self, person: WeComUser, xml: str) -> str | None:
        """POST one callback of ``person``, sealed; the bot's passive reply, if any."""
        status, reply = await person.post(xml, self.clock.now())
        if status != 200:
            raise web.HTTPBadGateway(text=f"回调返回 HTTP {status}：{reply or ''}")
        return reply

    async def send(self, request: web.Request, user: str, msg_type: str, fields: dict[str, Any]) -> str | None:
        """POST one sealed message from ``user`` to the bot's webhook; its passive reply, if any."""
        person = self.person(request, user)
        return await self.deliver(person, person.xml(self.clock.now(), msg_type, fields))


CHAT_PAGE = web.AppKey("sandbox_chat_page", ChatPage)


def _webhook_url(request: web.Request) -> str:
    """The bot's own WeCom callback, on the loopback address this request came in on."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not sockname:
        raise web.HTTPServiceUnavailable(text="连接已关闭")
    host = f"[{sockname[0]}]" if ":" in sockname[0] else sockname[0]
    return f"http://{host}:{sockname[1]}/wechat/work"


@web.middleware
async def loopback_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """A tool for the machine it runs on: anyone else gets the same 404 as a non-sandbox server."""
    try:
        local = request.remote is not None and ipaddress.ip_address(request.remote).is_loopback
    except ValueError:
        local = False
    if not local:
        raise web.HTTPNotFound()
    return await handler(request)


def chat_page_app(page: ChatPage) -> web.Application:
    app = web.Application(middlewares=[loopback_only])
    app[CHAT_PAGE] = page
    app.cleanup_ctx.append(_http_session)
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/", _page)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/people", _people)
    app.router.add_post("/say", _say)
    app.router.add_post("/bind", _bind)
    app.router.add_post("/location", _location)
    app.router.add_post("/photo", _photo)
    app.router.add_get("/media/{media_id}", _media)
    app.router.add_get("/events", _events)
    chat_clock.add_routes(app.router, CHAT_PAGE)
    chat_native.add_routes(app.router, CHAT_PAGE)
    return app


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    page = app[CHAT_PAGE]
    page.http = aiohttp.ClientSession()
    yield
    await page.http.close()


async def _end_streams(app: web.Application) -> None:
    """Live streams never end by themselves: end them so shutdown does not wait on open pages."""
    page = app[CHAT_PAGE]
    page.closing = True
    for stream in page.streams:
        stream.set()


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-store"})


async def _static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers={"Content-Type": STATIC_FILES[name], "Cache-Control": "no-store"})


async def _people(request: web.Request) -> web.Response:
    return web.json_response(request.app[CHAT_PAGE].people())


async def _say(request: web.Request) -> web.Response:
    body = await parsed_body(request, TextIn)
    reply = await request.app[CHAT_PAGE].send(request, body.user, "text", {"Content": body.text})
    return web.json_response({"reply": reply})


async def _bind(request: web.Request) -> web.Response:
    """Send ``绑定 <the unit's invite code>`` as the user would type it."""
    body = await parsed_body(request, BindIn)
    page = request.app[CHAT_PAGE]
    code = page.invite_code(body.unit)
    if code is None:
        raise web.HTTPBadRequest(text="没有这个单位")
    text = f"绑定 {code}"
    reply = await page.send(request, body.user, "text", {"Content": text})
    return web.json_response({"sent": text, "reply": reply})


async def _location(request: web.Request) -> web.Response:
    body = await parsed_body(request, LocationIn)
    fields = {"Location_X": body.lat, "Location_Y": body.lng, "Scale": 15, "Label": body.label}
    reply = await request.app[CHAT_PAGE].send(request, body.user, "location", fields)
    return web.json_response({"reply": reply})


async def _photo(request: web.Request) -> web.Response:
    """A multipart upload (fields ``user`` and ``photo``): stored in the platform's media store
    under a name of our own, then sent as an image callback naming its media id, as WeCom does."""
    page = request.app[CHAT_PAGE]
    # Read as a stream: the webhook app's body limit (a callback's 64 KiB) is no size for photos.
    reader = await request.multipart()
    user, data = None, None
    async for part in reader:
        if not isinstance(part, aiohttp.BodyPartReader):
            continue
        if part.name == "user":
            user = (await part.read_chunk(100)).decode("utf-8", "replace")
        elif part.name == "photo":
            data = await _read_capped(part, MAX_PHOTO_BYTES)
    try:
        user = UserBody(user=user or "").user
    except ValidationError:
        raise web.HTTPBadRequest(text="请求格式不对") from None
    if not data:
        raise web.HTTPBadRequest(text="没有收到图片")
    try:
        image_format = Image.open(BytesIO(data)).format or ""
    except (UnidentifiedImageError, OSError):
        image_format = ""
    if image_format not in PHOTO_FORMATS:
        raise web.HTTPBadRequest(text="只能发送 JPEG 或 PNG 图片")
    content_type, extension = PHOTO_FORMATS[image_format]
    media_id = page.platform.add_media(data, content_type, f"photo.{extension}")
    reply = await page.send(request, user, "image", {"MediaId": media_id, "PicUrl": page.media_url(media_id)})
    return web.json_response({"media": media_id, "reply": reply})


async def _read_capped(part: aiohttp.BodyPartReader, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size, text="图片太大（最大 10 MB）")
        chunks.append(chunk)
    return b"".join(chunks)


async def _media(request: web.Request) -> web.Response:
    """Media the platform holds (photos sent, collages pushed), images only, by id."""
    media = request.app[CHAT_PAGE].platform.media.get(request.match_info["media_id"])
    if media is None or not media.content_type.startswith("image/"):
        raise web.HTTPNotFound()
    return web.Response(body=media.data, content_type=media.content_type)


def _as_event(index: int, data: dict[str, Any]) -> str:
    return f"id: {index}\ndata: {json.dumps({'id': index} | data, ensure_ascii=False)}\n\n"


def _message_data(platform: PlatformState, message: SentMessage) -> dict[str, Any]:
    image = message.msgtype == "image"
    data = chat_native.card_data(platform, message) or {
        "kind": message.msgtype,
        "text": None if image else message.content,
        "media": message.content if image else None,
    }
    return data | {"at": message.at.isoformat() if message.at else None}


def _pending(items: Sequence[Item], seen: int, event: Callable[[int, Item], str | None]) -> tuple[list[str], int]:
    """The events for ``items`` after the first ``seen`` (all of them if the platform was reset), and
    how many have been seen now."""
    start = seen if seen <= len(items) else 0
    chunks = [chunk for index in range(start, len(items)) if (chunk := event(index + 1, items[index])) is not None]
    return chunks, len(items)


def _conversation(page: ChatPage, name: str) -> Callable[[int], tuple[list[str], int]]:
    """What ``_pending`` streams for a conversation: the pushes to a user, or what the group robot
    posted into the group chat (raises ValidationError for a name that is neither)."""
    if name == chat_native.GROUP:

        def robot_event(index: int, message: RobotMessage) -> str:
            return _as_event(index, chat_native.robot_data(index, message))

        return lambda seen: _pending(chat_native.group_messages(page), seen, robot_event)
    user = UserBody(user=name).user

    def user_event(index: int, message: SentMessage) -> str | None:
        return _as_event(index, _message_data(page.platform, message)) if user in message.touser else None

    return lambda seen: _pending(page.platform.messages, seen, user_event)


async def _events(request: web.Request) -> web.StreamResponse:
    """Every message the platform accepted for ``user`` (or, for the group chat, every message its
    robot posted), as server-sent events: those already sent first (after Last-Event-ID on a
    reconnect), then each as it is recorded."""
    page = request.app[CHAT_PAGE]
    try:
        pending = _conversation(page, request.query.get("user", ""))
    except ValidationError:
        raise web.HTTPBadRequest(text="请求格式不对") from None
    seen = request.headers.get("Last-Event-ID", "")
    seen_count = int(seen) if seen.isdigit() else 0
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    wake = page.platform.watch()
    page.streams.add(wake)
    wake.set()  # the first pass sends what was sent before
    try:
        while not page.closing:
            try:
                await asyncio.wait_for(wake.wait(), KEEPALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keepalive\n\n")  # also finds out when the page has gone
                continue
            wake.clear()
            chunks, seen_count = pending(seen_count)
            for chunk in chunks:
                await response.write(chunk.encode())
    except ConnectionError:
        pass  # the page was closed
    finally:
        page.platform.unwatch(wake)
        page.streams.discard(wake)
    return response
