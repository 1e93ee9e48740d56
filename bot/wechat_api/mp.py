"""Official Account (公众号) customer-service and template messages, and media."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.config import OfficialAccountConfig
from bot.wechat_api.tokens import TokenCache
from bot.wechat_api.transport import DEFAULT_POLICY, Media, RetryPolicy, WeChatTransport


def mp_app_key(cfg: OfficialAccountConfig) -> str:
    return f"mp:{cfg.app_id}"


class OfficialAccountClient:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        cfg: OfficialAccountConfig,
        tokens: TokenCache,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self._api = WeChatTransport(
            http,
            cfg.api_base,
            policy,
            tokens,
            app_key=mp_app_key(cfg),
            token_path="/cgi-bin/token",
            token_params={"grant_type": "client_credential", "appid": cfg.app_id, "secret": cfg.secret},
        )

    async def send_custom_text(self, openid: str, content: str) -> None:
        """Customer-service message; only within 48 h of the user's last message (else errcode 45015)."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        await self._api.call_json("POST", "/cgi-bin/message/custom/send", body=body)

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None) -> int:
        """Template message (works outside the 48 h window); returns WeChat's msgid.

        ``data`` maps template keys to values, e.g. ``{"thing1": "周报"}`` or ``{"thing1": {"value": ...}}``.
        """
        fields = {key: value if isinstance(value, dict) else {"value": value} for key, value in data.items()}
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": fields}
        if url:
            body["url"] = url
        reply = await self._api.call_json("POST", "/cgi-bin/message/template/send", body=body)
        return int(reply.get("msgid") or 0)

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """The account's custom menu (自定义菜单), replacing the one set in the console."""
        await self._api.call_json("POST", "/cgi-bin/menu/create", body=menu)

    async def callback_ips(self) -> list[str]:
        """The addresses WeChat sends callbacks from; the call also proves the token request works."""
        return await self._api.callback_ips()

    async def get_media(self, media_id: str) -> Media:
        return await self._api.get_media("/cgi-bin/media/get", media_id)

    async def download(self, url: str) -> Media:
        return await self._api.download(url)
