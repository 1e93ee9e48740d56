"""Official Account (公众号) callbacks: plaintext, compatible and safe (AES) modes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from bot.channels.wire import (
    bad_request,
    check_xml,
    decode_text,
    forbidden,
    require,
    text_reply_xml,
    to_inbound,
    unseal,
)
from bot.config import OfficialAccountConfig
from handlers.inbound import Inbound


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

    def decode(self, query: Mapping[str, str], body: bytes) -> tuple[Inbound, Any]:
        envelope = decode_text(body)
        check_xml(envelope)
        if self.encrypted(query):
            plaintext = self._decrypt(query, envelope)
            check_xml(plaintext)
        else:
            self._check_plain_signature(query)
            plaintext = envelope
        message = parse_message(plaintext)
        return to_inbound(self.name, message, plaintext), message

    def _decrypt(self, query: Mapping[str, str], envelope: str) -> str:
        if self.crypto is None:
            raise bad_request("encrypted message but no aes_key configured")
        signature, timestamp, nonce = require(query, "msg_signature", "timestamp", "nonce")
        crypto = self.crypto
        return unseal(lambda: crypto.decrypt_message(envelope, signature, timestamp, nonce))

    def encode_reply(self, message: Any, text: str, query: Mapping[str, str], now: datetime) -> str:
        xml = text_reply_xml(message, text, now)
        if self.encrypted(query) and self.crypto is not None:
            return str(self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))
        return xml
