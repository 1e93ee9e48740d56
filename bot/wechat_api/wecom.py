"""WeCom (企业微信) application messages and media."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config import WeComConfig
from bot.wechat_api.tokens import TokenCache
from bot.wechat_api.transport import DEFAULT_POLICY, Media, RetryPolicy, WeChatTransport
from scheduler.delivery import CardSent, SendResult

# message/send accepts at most this many userids per call.
MAX_RECIPIENTS_PER_CALL = 1000


@dataclass(frozen=True)
class AgentDetails:
    """The app as agent/get describes it; the visible range (可见范围) decides who can receive its messages."""

    name: str
    user_ids: tuple[str, ...]
    party_ids: tuple[int, ...]
    tag_ids: tuple[int, ...]
    closed: bool


def wecom_app_key(cfg: WeComConfig) -> str:
    return f"wecom:{cfg.corp_id}:{cfg.agent_id}"


class WeComClient:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        cfg: WeComConfig,
        tokens: TokenCache,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self._agent_id = cfg.agent_id
        self._api = WeChatTransport(
            http,
            cfg.api_base,
            policy,
            tokens,
            app_key=wecom_app_key(cfg),
            token_path="/cgi-bin/gettoken",
            token_params={"corpid": cfg.corp_id, "corpsecret": cfg.secret},
        )

    async def send_text(
        self, touser: Sequence[str], content: str, *, duplicate_check_seconds: int | None = None
    ) -> SendResult:
        return await self._send(touser, "text", {"content": content}, duplicate_check_seconds)

    async def send_image(
        self, touser: Sequence[str], media_id: str, *, duplicate_check_seconds: int | None = None
    ) -> SendResult:
        return await self._send(touser, "image", {"media_id": media_id}, duplicate_check_seconds)

    async def send_template_card(self, touser: str, card: dict[str, Any]) -> CardSent:
        """Send one member a template card; WeCom answers with the ResponseCode that may update it."""
        body = {"touser": touser, "msgtype": "template_card", "agentid": self._agent_id, "template_card": card}
        reply = await self._api.call_json("POST", "/cgi-bin/message/send", body=body)
        invalid = tuple(user for user in str(reply.get("invaliduser") or "").split("|") if user)
        return CardSent(response_code=str(reply.get("response_code") or ""), invalid_users=invalid)

    async def update_template_card(self, userids: Sequence[str], response_code: str, replace_name: str) -> None:
        """Turn the card's buttons into one unclickable button reading ``replace_name`` (e.g. 已回复：参加)."""
        body = {
            "userids": list(userids),
            "agentid": self._agent_id,
            "response_code": response_code,
            "button": {"replace_name": replace_name},
        }
        await self._api.call_json("POST", "/cgi-bin/message/update_template_card", body=body)

    async def upload_image(self, data: bytes, filename: str) -> str:
        """Upload a temporary image (kept 3 days by WeCom) and return its media_id."""

        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"

        def form() -> aiohttp.FormData:
            # Raw UTF-8 filename, as browsers send it; quoting would store "%E6%B5%B7…" as the name.
            body = aiohttp.FormData(quote_fields=False)
            body.add_field("media", data, filename=filename, content_type=content_type)
            return body

        reply = await self._api.call_json("POST", "/cgi-bin/media/upload", params={"type": "image"}, form=form)
        return str(reply["media_id"])

    async def get_media(self, media_id: str) -> Media:
        return await self._api.get_media("/cgi-bin/media/get", media_id)

    async def get_agent(self) -> AgentDetails:
        reply = await self._api.call_json("GET", "/cgi-bin/agent/get", params={"agentid": str(self._agent_id)})
        users = (reply.get("allow_userinfos") or {}).get("user") or []
        return AgentDetails(
            name=str(reply.get("name") or ""),
            user_ids=tuple(str(user.get("userid")) for user in users if isinstance(user, dict)),
            party_ids=tuple(int(party) for party in (reply.get("allow_partys") or {}).get("partyid") or []),
            tag_ids=tuple(int(tag) for tag in (reply.get("allow_tags") or {}).get("tagid") or []),
            closed=bool(reply.get("close")),
        )

    async def get_user(self, userid: str) -> dict[str, Any]:
        """A member's details; errcode 60011 when the member is outside the app's visible range."""
        return await self._api.call_json("GET", "/cgi-bin/user/get", params={"userid": userid})

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """menu/create for this app: replaces the app's menu for every member."""
        await self._api.call_json("POST", "/cgi-bin/menu/create", params={"agentid": str(self._agent_id)}, body=menu)

    async def callback_ips(self) -> list[str]:
        """The addresses WeCom sends callbacks from (for a firewall in front of the webhook)."""
        return await self._api.callback_ips()

    async def _send(
        self, touser: Sequence[str], msgtype: str, payload: dict[str, Any], duplicate_check_seconds: int | None
    ) -> SendResult:
        invalid: list[str] = []
        msgids: list[str] = []
        for start in range(0, len(touser), MAX_RECIPIENTS_PER_CALL):
            batch = touser[start : start + MAX_RECIPIENTS_PER_CALL]
            body = {"touser": "|".join(batch), "msgtype": msgtype, "agentid": self._agent_id, msgtype: payload}
            if duplicate_check_seconds:
                # WeCom drops a message identical to one sent to the same user within the interval:
                # a second guard, after the outbox key, against a resend after a crash mid-send.
                body |= {"enable_duplicate_check": 1, "duplicate_check_interval": duplicate_check_seconds}
            reply = await self._api.call_json("POST", "/cgi-bin/message/send", body=body)
            invalid.extend(user for user in str(reply.get("invaliduser") or "").split("|") if user)
            if reply.get("msgid"):
                msgids.append(str(reply["msgid"]))
        return SendResult(invalid_users=tuple(invalid), msgids=tuple(msgids))
