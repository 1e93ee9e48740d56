"""The sandbox's callback side: build, sign and encrypt messages exactly as WeChat does, POST
them to the bot's webhook over real HTTP, and open its encrypted replies.

Used by `weekbot say`, the demo, the tests and the webhook benchmark.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
import xmltodict
from wechatpy.crypto import WeChatCrypto as MpCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.utils import WeChatSigner

from bot.config import OfficialAccountConfig, WeComConfig


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(to: str, sender: str, created: datetime, msg_type: str, fields: dict[str, Any]) -> str:
    """A callback message as WeChat sends it (strings in CDATA, numbers bare)."""
    parts = [
        f"<ToUserName>{_cdata(to)}</ToUserName>",
        f"<FromUserName>{_cdata(sender)}</FromUserName>",
        f"<CreateTime>{int(created.timestamp())}</CreateTime>",
        f"<MsgType>{_cdata(msg_type)}</MsgType>",
    ]
    for name, value in fields.items():
        body = str(value) if isinstance(value, int | float) else _cdata(str(value))
        parts.append(f"<{escape(name)}>{body}</{escape(name)}>")
    return "<xml>" + "".join(parts) + "</xml>"


def new_msg_id() -> int:
    return secrets.randbits(62)


@dataclass(frozen=True)
class Sealed:
    query: dict[str, str]
    body: str


class WeComSealer:
    """Signs and encrypts callbacks with the app's token / EncodingAESKey / corp id."""

    def __init__(self, cfg: WeComConfig) -> None:
        self.cfg = cfg
        self.crypto = WeComCrypto(cfg.token, cfg.aes_key, cfg.corp_id)

    def seal(self, xml: str, timestamp: int, nonce: str | None = None) -> Sealed:
        nonce = nonce or secrets.token_hex(5)
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, str(timestamp)))["xml"]
        query = {"msg_signature": envelope["MsgSignature"], "timestamp": str(timestamp), "nonce": nonce}
        body = f"<xml><ToUserName>{_cdata(self.cfg.corp_id)}</ToUserName>"
        body += f"<AgentID>{_cdata(str(self.cfg.agent_id))}</AgentID>"
        body += f"<Encrypt>{_cdata(envelope['Encrypt'])}</Encrypt></xml>"
        return Sealed(query, body)

    def open_reply(self, body: str) -> str:
        envelope = xmltodict.parse(body)["xml"]
        return _as_text(
            self.crypto.decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        )

    def echo_query(self, echo: str, timestamp: int, nonce: str) -> dict[str, str]:
        """URL-verification query: echostr is the encrypted echo, signed like a message."""
        encrypted = xmltodict.parse(self.crypto.encrypt_message(echo, nonce, str(timestamp)))["xml"]
        return {
            "msg_signature": encrypted["MsgSignature"],
            "timestamp": str(timestamp),
            "nonce": nonce,
            "echostr": encrypted["Encrypt"],
        }


class MpSealer:
    """Official Account callbacks in plaintext or safe (aes) mode."""

    def __init__(self, cfg: OfficialAccountConfig) -> None:
        self.cfg = cfg
        self.crypto = MpCrypto(cfg.token, cfg.aes_key, cfg.app_id) if cfg.aes_key else None

    def plain_query(self, timestamp: int, nonce: str) -> dict[str, str]:
        signer = WeChatSigner()
        signer.add_data(self.cfg.token, str(timestamp), nonce)
        return {"signature": signer.signature, "timestamp": str(timestamp), "nonce": nonce}

    def seal(self, xml: str, timestamp: int, nonce: str | None = None, *, encrypted: bool = True) -> Sealed:
        nonce = nonce or secrets.token_hex(5)
        query = self.plain_query(timestamp, nonce)
        if not encrypted or self.crypto is None:
            return Sealed(query, xml)
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, str(timestamp)))["xml"]
        query |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        body = f"<xml><ToUserName>{_cdata(self.cfg.app_id)}</ToUserName>"
        body += f"<Encrypt>{_cdata(envelope['Encrypt'])}</Encrypt></xml>"
        return Sealed(query, body)

    def open_reply(self, body: str) -> str:
        if self.crypto is None or "<Encrypt>" not in body:
            return body
        envelope = xmltodict.parse(body)["xml"]
        return _as_text(
            self.crypto.decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        )


def _as_text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def reply_content(reply_xml: str) -> str | None:
    """The text of a passive reply, or None for 'success'/empty."""
    if not reply_xml.strip().startswith("<xml"):
        return None
    return str(xmltodict.parse(reply_xml)["xml"].get("Content") or "")


class WeComUser:
    """A simulated WeCom member chatting with the bot through its real webhook."""

    def __init__(self, http: aiohttp.ClientSession, webhook_url: str, cfg: WeComConfig, user_id: str) -> None:
        self.http = http
        self.url = webhook_url
        self.sealer = WeComSealer(cfg)
        self.cfg = cfg
        self.user_id = user_id

    def xml(self, created: datetime, msg_type: str, fields: dict[str, Any], msg_id: int | None = None) -> str:
        extra: dict[str, Any] = {} if msg_type == "event" else {"MsgId": msg_id or new_msg_id()}
        return message_xml(
            self.cfg.corp_id, self.user_id, created, msg_type, fields | extra | {"AgentID": self.cfg.agent_id}
        )

    async def post(self, xml: str, created: datetime) -> tuple[int, str | None]:
        """POST one callback; (HTTP status, reply text or None)."""
        sealed = self.sealer.seal(xml, int(created.timestamp()))
        async with self.http.post(self.url, params=sealed.query, data=sealed.body.encode()) as resp:
            body = await resp.text()
            if resp.status != 200:
                return resp.status, body
            return 200, reply_content(self.sealer.open_reply(body)) if "<Encrypt>" in body else None

    async def send(self, msg_type: str, fields: dict[str, Any], created: datetime) -> str | None:
        """Send one message of any type; the bot's reply text (None for no reply)."""
        status, reply = await self.post(self.xml(created, msg_type, fields), created)
        if status != 200:
            raise RuntimeError(f"webhook answered HTTP {status}: {reply}")
        return reply

    async def say(self, text: str, created: datetime) -> str | None:
        return await self.send("text", {"Content": text}, created)

    def card_click_xml(
        self, task_id: str, key: str, response_code: str, created: datetime, card_type: str = "button_interaction"
    ) -> str:
        """The template_card_event WeCom posts when this member taps button ``key`` of card ``task_id``."""
        fields = {"Event": "template_card_event", "EventKey": key, "TaskId": task_id, "CardType": card_type}
        return self.xml(created, "event", fields | {"ResponseCode": response_code})

    async def click(self, key: str, created: datetime) -> str | None:
        """Tap an app menu button: the click event WeCom sends with the button's key."""
        return await self.send("event", click_event_fields(key), created)


def click_event_fields(key: str) -> dict[str, Any]:
    """A menu click's event fields (WeCom sends "click", the Official Account "CLICK")."""
    return {"Event": "click", "EventKey": key}
