"""Signed callbacks with any content: what a party holding the token and EncodingAESKey could post.

The sandbox sealers (bot.sandbox.callbacks) build well-formed messages the way WeChat does; the
malformed-payload tests and the fuzz suite need the same signatures over payloads WeChat would
never send: any plaintext bytes, a wrong padding byte, a ciphertext cut short.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass
from enum import Enum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.utils import WeChatSigner

from bot.config import OfficialAccountConfig, WeComConfig

BLOCK = 32  # WeChat pads to 32 bytes (PKCS#7 over a 32-byte block), AES itself works in 16
RANDOM_PREFIX = b"forged-prefix-16"


class Mode(Enum):
    WECOM = "wecom"
    MP_PLAIN = "mp_plain"  # signature over token/timestamp/nonce only
    MP_SAFE = "mp_safe"  # Encrypt alone
    MP_COMPATIBLE = "mp_compatible"  # plaintext fields and Encrypt side by side

    @property
    def path(self) -> str:
        return "/wechat/work" if self is Mode.WECOM else "/wechat/mp"

    @property
    def encrypted(self) -> bool:
        return self is not Mode.MP_PLAIN


@dataclass(frozen=True)
class Forged:
    query: dict[str, str]
    body: bytes


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def encrypt(
    aes_key: str, message: bytes, receiver_id: str, *, pad_byte: int | None = None, blocks: int | None = None
) -> str:
    """WeChat's envelope (random(16) + length + message + receiver id, PKCS#7, AES-256-CBC, base64).
    ``pad_byte`` overwrites the last padding byte; ``blocks`` keeps only that many 16-byte blocks."""
    key = base64.b64decode(aes_key + "=")
    raw = RANDOM_PREFIX + struct.pack(">I", len(message)) + message + receiver_id.encode()
    pad = BLOCK - len(raw) % BLOCK
    padded = raw + bytes([pad]) * pad
    if pad_byte is not None:
        padded = padded[:-1] + bytes([pad_byte])
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    sealed = encryptor.update(padded) + encryptor.finalize()
    if blocks is not None:
        sealed = sealed[: 16 * blocks]
    return base64.b64encode(sealed).decode()


class Forger:
    def __init__(self, wecom: WeComConfig, mp: OfficialAccountConfig) -> None:
        self.wecom = wecom
        self.mp = mp

    def forge(
        self,
        mode: Mode,
        plaintext: bytes,
        timestamp: int | str,
        nonce: str,
        *,
        as_json: bool = False,
        pad_byte: int | None = None,
        blocks: int | None = None,
    ) -> Forged:
        """A correctly signed POST of ``plaintext`` (an XML or JSON message, or anything at all)."""
        stamp = str(timestamp)
        if mode is Mode.MP_PLAIN:
            return Forged(self._plain_query(stamp, nonce), plaintext)
        cfg_key, receiver = (
            (self.wecom.aes_key, self.wecom.corp_id) if mode is Mode.WECOM else (self.mp.aes_key, self.mp.app_id)
        )
        token = self.wecom.token if mode is Mode.WECOM else self.mp.token
        sealed = encrypt(cfg_key, plaintext, receiver, pad_byte=pad_byte, blocks=blocks)
        query = {"msg_signature": sign(token, stamp, nonce, sealed), "timestamp": stamp, "nonce": nonce}
        if mode is Mode.WECOM:
            body = f"<xml><ToUserName><![CDATA[{receiver}]]></ToUserName><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>"
            return Forged(query, body.encode())
        query |= self._plain_query(stamp, nonce) | {"encrypt_type": "aes"}
        if as_json:
            envelope: dict[str, object] = {"ToUserName": "gh_forged", "Encrypt": sealed}
            if mode is Mode.MP_COMPATIBLE:
                envelope["Content"] = "compatible-mode plaintext copy"
            return Forged(query, json.dumps(envelope).encode())
        extra = "<Content><![CDATA[compatible-mode plaintext copy]]></Content>" if mode is Mode.MP_COMPATIBLE else ""
        body = (
            f"<xml><ToUserName><![CDATA[gh_forged]]></ToUserName>{extra}<Encrypt><![CDATA[{sealed}]]></Encrypt></xml>"
        )
        return Forged(query, body.encode())

    def _plain_query(self, timestamp: str, nonce: str) -> dict[str, str]:
        return {"signature": sign(self.mp.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
