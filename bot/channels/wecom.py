"""WeCom (企业微信) callbacks: always encrypted, signed with msg_signature, receiver id = corp id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.channels.envelope import MessageCrypto
from bot.channels.wire import (
    Decoded,
    bad_request,
    check_xml,
    decode_text,
    normalise,
    require,
    text_reply_xml,
    to_inbound,
    xml_fields,
)
from bot.config import WeComConfig
from storage.models import ChannelKind


class WeComChannel:
    name = ChannelKind.WECOM

    def __init__(self, cfg: WeComConfig) -> None:
        self.cfg = cfg
        self.crypto = MessageCrypto(cfg.token, cfg.aes_key, cfg.corp_id)

    def verify_url(self, query: Mapping[str, str]) -> str:
        signature, timestamp, nonce, echostr = require(query, "msg_signature", "timestamp", "nonce", "echostr")
        return self.crypto.open(signature, timestamp, nonce, echostr)

    def decode(self, query: Mapping[str, str], body: bytes) -> Decoded:
        signature, timestamp, nonce = require(query, "msg_signature", "timestamp", "nonce")
        encrypt = xml_fields(check_xml(decode_text(body))).get("Encrypt")
        if not isinstance(encrypt, str):
            raise bad_request("Encrypt missing")
        plaintext = self.crypto.open(signature, timestamp, nonce, encrypt)
        fields = normalise(xml_fields(check_xml(plaintext)))
        # The signature covers the ciphertext, so the body is authentic: no replay check needed
        # beyond de-duplication by MsgId.
        return Decoded(to_inbound(self.name, fields, plaintext), fields)

    def encode_reply(self, fields: Mapping[str, Any], text: str, query: Mapping[str, str], now: datetime) -> str:
        xml = text_reply_xml(fields, text, now)
        return self.crypto.seal(xml, query["nonce"], query["timestamp"]).xml()
