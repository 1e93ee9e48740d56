"""Official Account (公众号) callbacks: plaintext, compatible and safe (AES) modes, XML or JSON.

The message format is chosen in the account's settings; Tencent's current documentation shows
JSON pushes, older accounts use XML. A reply goes back in the format and mode it came in.

Modes: a post with encrypt_type=aes (safe mode, and compatible mode, whose body carries the
plaintext fields beside Encrypt) is read from the ciphertext, which msg_signature covers. A
plaintext post is signed over token, timestamp and nonce only, never the body, so anyone who
saw one query string could post anything under it: once an aes_key is configured such posts are
refused unless ``allow_plaintext`` says the account is still switching over, and every one that
is accepted must pass the freshness and replay check (bot.channels.replay) before it is stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.channels.envelope import MessageCrypto, check_signature
from bot.channels.wire import (
    Decoded,
    SignedNonce,
    bad_request,
    check_xml,
    decode_text,
    forbidden,
    json_object,
    normalise,
    require,
    text_reply_xml,
    to_inbound,
    xml_fields,
)
from bot.config import OfficialAccountConfig
from storage.models import ChannelKind
from storage.wording import clip

FORMAT = "__format"  # the body's format, kept beside the fields for the reply


class OfficialAccountChannel:
    name = ChannelKind.MP

    def __init__(self, cfg: OfficialAccountConfig) -> None:
        self.cfg = cfg
        self.crypto = MessageCrypto(cfg.token, cfg.aes_key, cfg.app_id) if cfg.aes_key else None

    def _check_plain_signature(self, query: Mapping[str, str]) -> None:
        signature, timestamp, nonce = require(query, "signature", "timestamp", "nonce")
        check_signature(signature, self.cfg.token, timestamp, nonce)

    def verify_url(self, query: Mapping[str, str]) -> str:
        # The Official Account verifies the URL with the plain signature in every mode.
        self._check_plain_signature(query)
        return require(query, "echostr")[0]

    @staticmethod
    def encrypted(query: Mapping[str, str]) -> bool:
        return query.get("encrypt_type", "raw").lower() == "aes"

    def decode(self, query: Mapping[str, str], body: bytes) -> Decoded:
        text = decode_text(body)
        is_json = text.lstrip().startswith("{")
        # Each document is parsed once: the envelope's fields give both the ciphertext and, in
        # plaintext mode, the message itself.
        envelope = json_object(text) if is_json else xml_fields(check_xml(text))
        unsigned_body = None
        if self.encrypted(query):
            plaintext = self._decrypt(query, envelope)
            message = json_object(plaintext) if is_json else xml_fields(check_xml(plaintext))
        else:
            unsigned_body = self._check_plaintext_post(query)
            plaintext, message = text, envelope
        fields = normalise(message)
        inbound = to_inbound(self.name, fields, plaintext)
        return Decoded(inbound, fields | {FORMAT: "json" if is_json else "xml"}, unsigned_body)

    def _check_plaintext_post(self, query: Mapping[str, str]) -> SignedNonce:
        if self.crypto is not None and not self.cfg.allow_plaintext:
            raise forbidden("plaintext callback refused: an aes_key is configured (safe mode)")
        self._check_plain_signature(query)
        return SignedNonce(query["timestamp"], query["nonce"])

    def _decrypt(self, query: Mapping[str, str], envelope: dict[str, Any]) -> str:
        if self.crypto is None:
            raise bad_request("encrypted message but no aes_key configured")
        encrypt = envelope.get("Encrypt")
        if not isinstance(encrypt, str):
            raise bad_request("Encrypt missing")
        signature, timestamp, nonce = require(query, "msg_signature", "timestamp", "nonce")
        return self.crypto.open(signature, timestamp, nonce, encrypt)

    def encode_reply(self, fields: Mapping[str, Any], text: str, query: Mapping[str, str], now: datetime) -> str:
        as_json = fields.get(FORMAT) == "json"
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
        sealed = self.crypto.seal(plain, query["nonce"], query["timestamp"])
        return json.dumps(sealed.json_fields()) if as_json else sealed.xml()
