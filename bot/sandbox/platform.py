"""A fake WeChat platform on loopback: the WeCom and Official Account endpoints the bot calls.

It answers like the real APIs (errcode/errmsg JSON, invaliduser, media bytes with
Content-Disposition), checks credentials and token expiry, records every message sent, and can
be told to misbehave (``PlatformState.inject``) so retries are exercised over real HTTP. Both
channels share one app: a token remembers which channel issued it. It also records each channel's
menu (menu/create) and answers group robots' webhook/send (20 messages a minute per robot). ``/_sandbox/*`` lets another
process read what was sent, inject faults, seed media and reset. The state itself is bot.sandbox.state.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.sandbox.answers import STATE_KEY, authorised_body, error, media_response, ok
from bot.sandbox.control import add_control_routes
from bot.sandbox.menu_robot import add_menu_and_robot_routes
from bot.sandbox.state import (
    API_PREFIX,
    CALLBACK_IPS,
    ROOT_DEPARTMENT,
    TOKEN_LIFETIME,
    PlatformState,
    SentCard,
    SentMessage,
)

MAX_RECIPIENTS = 1000
# The card types whose buttons call back (and so get a ResponseCode), and WeCom's rules for them.
CALLBACK_CARD_TYPES = ("button_interaction", "vote_interaction", "multiple_interaction")
CARD_TYPES = ("text_notice", "news_notice", *CALLBACK_CARD_TYPES)
TASK_ID = re.compile(r"^[A-Za-z0-9_@-]{1,128}$")
MAX_BUTTONS = 6
RESPONSE_CODE_LIFE = timedelta(hours=72)


def make_platform_app(state: PlatformState) -> web.Application:
    app = web.Application(middlewares=[_faults_middleware])
    app[STATE_KEY] = state
    app.router.add_get(API_PREFIX + "gettoken", _wecom_token)
    app.router.add_get(API_PREFIX + "token", _mp_token)
    app.router.add_post(API_PREFIX + "message/send", _wecom_send)
    app.router.add_post(API_PREFIX + "message/update_template_card", _wecom_update_card)
    app.router.add_post(API_PREFIX + "message/custom/send", _mp_custom_send)
    app.router.add_post(API_PREFIX + "message/template/send", _mp_template_send)
    app.router.add_get(API_PREFIX + "agent/get", _wecom_agent_get)
    app.router.add_get(API_PREFIX + "user/get", _wecom_user_get)
    app.router.add_get(API_PREFIX + "getcallbackip", _callback_ips)
    app.router.add_get(API_PREFIX + "media/get", _media_get)
    app.router.add_post(API_PREFIX + "media/upload", _media_upload)
    add_control_routes(app)
    add_menu_and_robot_routes(app)
    return app


@web.middleware
async def _faults_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    state = request.app[STATE_KEY]
    endpoint = request.path.removeprefix(API_PREFIX)
    state.calls.append(endpoint)
    fault = state.take_fault(endpoint)
    if fault is not None:
        if fault.stall:
            await asyncio.sleep(fault.stall)
        if fault.status is not None:
            return web.Response(status=fault.status, text="sandbox: injected failure")
        if fault.errcode is not None:
            return error(fault.errcode, "sandbox: injected error")
    token_channel = state.token_channel(request.query.get("access_token"))
    if token_channel == "wecom" and not state.wecom_ip_trusted:
        # WeCom's wording, whose "from ip" tells the operator which address to add.
        return error(
            60020,
            f"not allow to access from your ip, hint: [sandbox], from ip: {request.remote}, "
            "more info at https://open.work.weixin.qq.com/devtool/query?e=60020",
        )
    return await handler(request)


async def _wecom_token(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    if request.query.get("corpid") != state.wecom.corp_id:
        return error(40013, "invalid corpid")
    if request.query.get("corpsecret") != state.wecom.secret:
        return error(40001, "invalid credential")
    return ok(access_token=state.issue_token("wecom"), expires_in=int(TOKEN_LIFETIME.total_seconds()))


async def _mp_token(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    if request.query.get("grant_type") != "client_credential":
        return error(40002, "invalid grant_type")
    if request.query.get("appid") != state.mp.app_id:
        return error(40013, "invalid appid")
    if request.query.get("secret") != state.mp.secret:
        return error(40001, "invalid credential")
    if not state.mp_ip_whitelisted:
        return error(40164, f"invalid ip {request.remote}, not in whitelist rid: sandbox")
    # The real endpoint answers success without errcode.
    token = state.issue_token("mp")
    return web.json_response({"access_token": token, "expires_in": int(TOKEN_LIFETIME.total_seconds())})


async def _wecom_agent_get(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    problem = state.token_error(request.query.get("access_token"), ("wecom",))
    if problem:
        return error(*problem)
    if request.query.get("agentid") != str(state.wecom.agent_id):
        return error(40056, "invalid agentid")
    return ok(
        agentid=state.wecom.agent_id,
        name=state.agent_name,
        allow_userinfos={"user": [{"userid": user} for user in sorted(state.visible_userids)]},
        allow_partys={"partyid": list(state.visible_party_ids)},
        allow_tags={"tagid": []},
        close=0,
    )


async def _wecom_user_get(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    problem = state.token_error(request.query.get("access_token"), ("wecom",))
    if problem:
        return error(*problem)
    userid = request.query.get("userid", "")
    if not userid or userid in state.invalid_users:
        return error(60111, "userid not found")
    if not state.can_see(userid):
        return error(60011, "no privilege to access/modify contact/party/agent")
    return ok(userid=userid, name=userid, department=[ROOT_DEPARTMENT], status=1)


async def _callback_ips(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    token = request.query.get("access_token")
    problem = state.token_error(token, ("wecom", "mp"))
    if problem:
        return error(*problem)
    if state.token_channel(token) == "mp":
        # The Official Account answers success without errcode.
        return web.json_response({"ip_list": list(CALLBACK_IPS)})
    return ok(ip_list=list(CALLBACK_IPS))


def _card_problem(state: PlatformState, card: dict[str, Any]) -> str | None:
    """Why WeCom would refuse this template card, or None."""
    card_type = card.get("card_type")
    if card_type not in CARD_TYPES:
        return "invalid card_type"
    title = card.get("main_title")
    if not isinstance(title, dict) or not isinstance(title.get("title"), str) or not title["title"]:
        return "main_title.title missing"
    task_id = card.get("task_id")
    if card_type in CALLBACK_CARD_TYPES:
        if not isinstance(task_id, str) or not TASK_ID.match(task_id):
            return "task_id missing or invalid"
        if task_id in state.cards:
            return "task_id already used by this app"
    if card_type == "button_interaction":
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
            return f"button_list must hold 1 to {MAX_BUTTONS} buttons"
        if not all(isinstance(b, dict) and b.get("key") and b.get("text") for b in buttons):
            return "every button needs key and text"
        if len({b["key"] for b in buttons}) != len(buttons):
            return "button keys must differ"
    return None


def _message_content(state: PlatformState, body: dict[str, Any]) -> str | web.Response:
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype == "template_card" and isinstance(part, dict):
        problem = _card_problem(state, part)
        return error(40008, f"invalid template_card: {problem}") if problem else str(part["main_title"]["title"])
    if msgtype == "text" and isinstance(part, dict) and isinstance(part.get("content"), str):
        return part["content"]
    if msgtype == "image" and isinstance(part, dict) and part.get("media_id") in state.media:
        return str(part["media_id"])
    return error(40008, "invalid message type or content")


async def _wecom_agent_body(request: web.Request) -> dict[str, Any] | web.Response:
    """A tokened WeCom app call's body, or the error WeCom answers (bad token, other agent)."""
    body = await authorised_body(request, "wecom")
    if not isinstance(body, web.Response) and body.get("agentid") != request.app[STATE_KEY].wecom.agent_id:
        return error(40056, "invalid agentid")
    return body


async def _wecom_send(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _wecom_agent_body(request)
    if isinstance(body, web.Response):
        return body
    content = _message_content(state, body)
    if isinstance(content, web.Response):
        return content
    users = [user for user in str(body.get("touser") or "").split("|") if user]
    if not users or len(users) > MAX_RECIPIENTS:
        return error(40058, f"touser must name 1 to {MAX_RECIPIENTS} users")
    valid = tuple(user for user in users if user not in state.invalid_users)
    invalid = [user for user in users if user in state.invalid_users]
    if not valid:
        return error(81013, "user & party & tag all invalid")
    if body.get("enable_duplicate_check") and state.duplicate_check:
        # As WeCom does: an identical message to the same user within the interval is dropped.
        since = state.clock.now() - timedelta(seconds=int(body.get("duplicate_check_interval") or 1800))
        valid = tuple(user for user in valid if not state.sent_recently(user, body["msgtype"], content, since))
        if not valid:
            return ok(invaliduser="|".join(invalid), msgid=f"sandbox-msg-{state.next_msgid()}")
    state.record(
        SentMessage("message/send", valid, body["msgtype"], content, state.wecom.agent_id, body, state.clock.now())
    )
    answer: dict[str, Any] = {"invaliduser": "|".join(invalid), "msgid": f"sandbox-msg-{state.next_msgid()}"}
    card = body.get("template_card")
    if body["msgtype"] == "template_card" and isinstance(card, dict) and card.get("card_type") in CALLBACK_CARD_TYPES:
        if len(valid) != 1:  # weekbot sends each member their own card; the sandbox keeps it that simple
            return error(40058, "the sandbox takes a callback card to one member at a time")
        state.cards[card["task_id"]] = SentCard(card["task_id"], valid[0], card)
        answer["response_code"] = state.issue_response_code(card["task_id"], valid[0])
    return ok(**answer)


async def _wecom_update_card(request: web.Request) -> web.Response:
    """update_template_card with ``button.replace_name``: each ResponseCode works once, within 72 h."""
    state = request.app[STATE_KEY]
    body = await _wecom_agent_body(request)
    if isinstance(body, web.Response):
        return body
    userids = body.get("userids")
    replace_name = (body.get("button") or {}).get("replace_name") if isinstance(body.get("button"), dict) else None
    if not isinstance(userids, list) or not userids or not isinstance(replace_name, str) or not replace_name:
        return error(40058, "userids and button.replace_name are required")
    issued = state.spend_response_code(str(body.get("response_code") or ""), RESPONSE_CODE_LIFE)
    if isinstance(issued, tuple):
        return error(*issued)
    card = state.cards[issued.task_id]
    if card.touser in userids:
        card.replaced_name = replace_name
    state.record(
        SentMessage(
            "message/update_template_card", tuple(userids), "update_template_card", replace_name,
            state.wecom.agent_id, body, state.clock.now(),
        )
    )  # fmt: skip
    return ok(invaliduser=[user for user in userids if user != card.touser])


async def _mp_request(request: web.Request) -> tuple[PlatformState, dict[str, Any], str] | web.Response:
    """An authorised Official Account send: the state, the body and its openid, or the error to answer."""
    state = request.app[STATE_KEY]
    body = await authorised_body(request, "mp")
    if isinstance(body, web.Response):
        return body
    openid = body.get("touser")
    if not isinstance(openid, str) or not openid or openid in state.invalid_users:
        return error(40003, "invalid openid")
    return state, body, openid


async def _mp_custom_send(request: web.Request) -> web.Response:
    checked = await _mp_request(request)
    if isinstance(checked, web.Response):
        return checked
    state, body, openid = checked
    content = _message_content(state, body)
    if isinstance(content, web.Response):
        return content
    state.record(SentMessage("message/custom/send", (openid,), body["msgtype"], content, None, body, state.clock.now()))
    return ok()


async def _mp_template_send(request: web.Request) -> web.Response:
    checked = await _mp_request(request)
    if isinstance(checked, web.Response):
        return checked
    state, body, openid = checked
    template_id = body.get("template_id")
    if not template_id or (state.mp.template_id and template_id != state.mp.template_id):
        return error(40037, "invalid template_id")
    data = body.get("data")
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "value" in v for v in data.values()):
        return error(47001, "data format error")
    content = "\n".join(f"{key}: {value['value']}" for key, value in data.items())
    state.record(SentMessage("message/template/send", (openid,), "template", content, None, body, state.clock.now()))
    return ok(msgid=state.next_msgid())


async def _media_get(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    problem = state.token_error(request.query.get("access_token"), ("wecom", "mp"))
    if problem:
        return error(*problem)
    media = state.media.get(request.query.get("media_id", ""))
    return error(40007, "invalid media_id") if media is None else media_response(media)


async def _media_upload(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    problem = state.token_error(request.query.get("access_token"), ("wecom",))
    if problem:
        return error(*problem)
    media_type = request.query.get("type", "")
    if media_type not in ("image", "voice", "video", "file"):
        return error(40004, "invalid media type")
    form = await request.post()
    upload = form.get("media")
    if not isinstance(upload, web.FileField):
        return error(41005, "media data missing")
    content_type = upload.content_type or "application/octet-stream"
    media_id = state.add_media(upload.file.read(), content_type, upload.filename)
    created_at = str(int(state.clock.now().timestamp()))
    return ok(type=media_type, media_id=media_id, created_at=created_at)


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
