"""Official Account (公众号) callbacks: plaintext, compatible and safe (AES) modes, XML or JSON.

The message format is chosen in the account's settings; Tencent's current documentation shows
JSON pushes, older accounts use XML. A reply goes back in the format and mode it came in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from bot.channels.wire import (
    bad_request,
    check_xml,
    decode_text,
    forbidden,
    message_fields,
    require,
    text_reply_xml,
    to_inbound,
    unseal,
)
from bot.config import OfficialAccountConfig
from handlers.inbound import Inbound
from storage.wording import clip


class OfficialAccountChannel:
    name = "mp"

    def __init__(self, cfg: OfficialAccountConfig) -> None:
        self.cfg = cfg
        self.crypto = WeChatCrypto(cfg.token, cfg.aes_key, cfg.app_id) if cfg.aes_key else None

    def _check_plain_signature(self, query: Mapping[str, str]) -> None:
        signature, timestamp, nonce = require(query, "signature", "timestamp", "nonce")
        try:
            check_signature(self.cfg.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise forbidden() from None

    def verify_url(self, query: Mapping[str, str]) -> str:
        # The Official Account verifies the URL with the plain signature in every mode.
        self._check_plain_signature(query)
        return require(query, "echostr")[0]

    @staticmethod
    def encrypted(query: Mapping[str, str]) -> bool:
        return query.get("encrypt_type", "raw").lower() == "aes"

    def decode(self, query: Mapping[str, str], body: bytes) -> tuple[Inbound, dict[str, Any]]:
        text = decode_text(body)
        is_json = text.lstrip().startswith("{")
        envelope: dict[str, Any] | str = _json_object(text) if is_json else text
        if not is_json:
            check_xml(text)
        if self.encrypted(query):
            plaintext = self._decrypt(query, envelope)
        else:
            self._check_plain_signature(query)
            plaintext = text
        if is_json:
            fields = _json_object(plaintext)
        else:
            check_xml(plaintext)
            fields = message_fields(plaintext)
        fields["__format"] = "json" if is_json else "xml"
        return to_inbound(self.name, fields, plaintext), fields

    def _decrypt(self, query: Mapping[str, str], envelope: dict[str, Any] | str) -> str:
        if self.crypto is None:
            raise bad_request("encrypted message but no aes_key configured")
        if isinstance(envelope, dict) and not isinstance(envelope.get("Encrypt"), str):
            raise bad_request("Encrypt missing")
        signature, timestamp, nonce = require(query, "msg_signature", "timestamp", "nonce")
        crypto = self.crypto
        # wechatpy reads Encrypt from a dict as it is, or parses XML text itself.
        return unseal(lambda: crypto.decrypt_message(envelope, signature, timestamp, nonce))

    def encode_reply(self, fields: Mapping[str, Any], text: str, query: Mapping[str, str], now: datetime) -> str:
        as_json = fields.get("__format") == "json"
        if as_json:
            plain = json.dumps(
                {
                    "ToUserName": fields.get("FromUserName"),
                    "FromUserName": fields.get("ToUserName"),
                    "CreateTime": int(now.timestamp()),
                    "MsgType": "text",
                    "Content": clip(text),
                },
                ensure_ascii=False,
            )
        else:
            plain = text_reply_xml(fields, text, now)
        if not (self.encrypted(query) and self.crypto is not None):
            return plain
        sealed = str(self.crypto.encrypt_message(plain, query["nonce"], query["timestamp"]))
        if not as_json:
            return sealed
        parts = xmltodict.parse(sealed)["xml"]
        return json.dumps({k: parts[k] for k in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")})


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise bad_request("malformed JSON") from None
    if not isinstance(value, dict):
        raise bad_request("JSON body is not an object")
    return value
