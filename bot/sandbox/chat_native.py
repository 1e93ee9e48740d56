"""The WeCom-native parts of the sandbox chat page: template cards with buttons, the app menu as
the bottom menu bar, and the campaign's group chat (what its 群机器人 posted) as a conversation.

A tap goes the way WeCom sends it: the platform hands out the ResponseCode for a card button
(``PlatformState.click``), the page's server builds the ``template_card_event`` or menu ``click``
callback with bot.sandbox.callbacks.WeComUser and POSTs it, signed and encrypted, to the bot's
/wechat/work. The card's update (``update_template_card``) and the robot's messages reach the page
over the page's one live stream (``PlatformState.watch``), as events this module describes.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Annotated, Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError
from pydantic import Field, StringConstraints

from bot.preflight.menu import install_menu
from bot.sandbox.callbacks import click_event_fields
from bot.sandbox.chat_bodies import UserBody, parsed_body
from bot.sandbox.state import PlatformState, RobotMessage, SentMessage

if TYPE_CHECKING:
    from bot.sandbox.chat_page import ChatPage

# The conversation name the page's picker uses for the group chat (never a valid user id).
GROUP = "#group"
ROBOT_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
TaskId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_@-]{1,128}$")]


def card_data(platform: PlatformState, message: SentMessage) -> dict[str, Any] | None:
    """What the page draws for a card push or a card's update; None for any other message."""
    if message.msgtype == "template_card":
        card = message.payload.get("template_card") or {}
        task_id = card.get("task_id")
        sent = platform.cards.get(task_id) if isinstance(task_id, str) else None
        return {
            "kind": "template_card",
            "card": {
                "task_id": task_id,
                "title": message.content,
                "text": card.get("sub_title_text") or "",
                "buttons": [{"key": b.get("key"), "text": b.get("text")} for b in card.get("button_list") or []],
                # A page opened after the update shows the card as it reads now.
                "answered": sent.replaced_name if sent is not None else None,
            },
        }
    if message.msgtype == "update_template_card":
        issued = platform.response_codes.get(str(message.payload.get("response_code") or ""))
        if issued is None:
            return None
        return {"kind": "card_update", "task_id": issued.task_id, "answered": message.content}
    return None


def robot_data(index: int, message: RobotMessage) -> dict[str, Any]:
    """A group robot's message as the page's 群聊 shows it (its image fetched by position)."""
    image = message.msgtype == "image"
    return {
        "kind": message.msgtype,
        "text": None if image else message.content,
        "image": f"group/image/{index}" if image else None,
        "at": message.at.isoformat(),
    }


def group_messages(page: ChatPage) -> list[RobotMessage]:
    key = page.settings.group_robot.key
    return [m for m in page.platform.robot_messages if m.key == key]


def installed_menu(page: ChatPage) -> list[dict[str, Any]]:
    """The WeCom app's menu as menu/create last set it (empty: none installed)."""
    return list((page.platform.menus.get("wecom") or {}).get("button") or [])


def _click_keys(buttons: list[dict[str, Any]]) -> set[str]:
    keys = set()
    for button in buttons:
        keys |= _click_keys(button.get("sub_button") or [])
        if button.get("type") == "click":
            keys.add(str(button.get("key")))
    return keys


def add_routes(router: web.UrlDispatcher, key: web.AppKey[ChatPage]) -> None:
    class CardClickIn(UserBody):
        task_id: TaskId
        key: str = Field(min_length=1, max_length=1024)

    class MenuClickIn(UserBody):
        key: str = Field(min_length=1, max_length=128)

    async def card_click(request: web.Request) -> web.Response:
        body = await parsed_body(request, CardClickIn)
        page = request.app[key]
        try:
            code = page.platform.click(body.task_id, body.user, body.key)
        except ValueError:
            raise web.HTTPConflict(text="这张卡片的按钮已不能点击") from None
        card_type = str(page.platform.cards[body.task_id].card.get("card_type"))
        person = page.person(request, body.user)
        created = page.clock.now()
        reply = await page.deliver(person, person.card_click_xml(body.task_id, body.key, code, created, card_type))
        return web.json_response({"reply": reply})

    async def menu(request: web.Request) -> web.Response:
        page = request.app[key]
        return web.json_response({"buttons": installed_menu(page), "configured": bool(page.settings.menu.buttons)})

    async def menu_install(request: web.Request) -> web.Response:
        """What `weekbot menu install` does, against the sandbox platform the page's settings name."""
        page = request.app[key]
        if not page.settings.menu.buttons:
            raise web.HTTPNotFound(text="配置里没有菜单（[[menu.buttons]]）")
        done, problems = await install_menu(page.settings)
        if problems:
            raise web.HTTPBadGateway(text="；".join(str(problem) for problem in problems))
        return web.json_response({"done": done, "buttons": installed_menu(page)})

    async def menu_click(request: web.Request) -> web.Response:
        body = await parsed_body(request, MenuClickIn)
        page = request.app[key]
        if body.key not in _click_keys(installed_menu(page)):  # WeCom sends only its menu's keys
            raise web.HTTPBadRequest(text="菜单里没有这个按钮")
        reply = await page.send(request, body.user, "event", click_event_fields(body.key))
        return web.json_response({"reply": reply})

    async def group_image(request: web.Request) -> web.Response:
        index = request.match_info["index"]
        messages = group_messages(request.app[key])
        if not index.isdigit() or not 1 <= int(index) <= len(messages) or messages[int(index) - 1].image is None:
            raise web.HTTPNotFound()
        data = messages[int(index) - 1].image or b""
        try:
            content_type = ROBOT_IMAGE_TYPES.get(Image.open(BytesIO(data)).format or "")
        except (UnidentifiedImageError, OSError):
            content_type = None
        if content_type is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type=content_type)

    router.add_post("/card/click", card_click)
    router.add_get("/menu", menu)
    router.add_post("/menu/install", menu_install)
    router.add_post("/menu/click", menu_click)
    router.add_get("/group/image/{index}", group_image)
