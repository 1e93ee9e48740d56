"""WeChat's message encryption, shared by WeCom and the Official Account's safe mode.

The wire format is wechatpy's (WXBizMsgCrypt): AES-256-CBC with the key's first 16 bytes as IV
over random(16) + big-endian length(4) + message + receiver id, PKCS#7-padded to 32-byte blocks,
base64; signed with SHA-1 over the sorted token, timestamp, nonce and ciphertext.

Done here rather than through wechatpy's WeChatCrypto because that builds a new Cipher (key
schedule and mode checks) for every message and draws its random prefix with random.sample: on
the webhook's hot path that was about half of the channel's cost. The checks are wechatpy's and
then some: the signature is compared in constant time, and the padding must be PKCS#7 (wechatpy
strips whatever the last byte says); tests/test_envelope.py holds every answer against wechatpy's.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wire import bad_request, forbidden

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16
RANDOM_PREFIX = 16
LENGTH_PREFIX = 4
# wechatpy's reply envelope, byte for byte.
SEALED_XML = """<xml>
<Encrypt><![CDATA[{encrypt}]]></Encrypt>
<MsgSignature><![CDATA[{signature}]]></MsgSignature>
<TimeStamp>{timestamp}</TimeStamp>
<Nonce><![CDATA[{nonce}]]></Nonce>
</xml>"""


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the parts' UTF-8 bytes, sorted and concatenated."""
    try:
        encoded = sorted(part.encode() for part in parts)
    except UnicodeEncodeError:
        # A lone surrogate: aiohttp's pure-Python parser decodes a raw non-UTF-8 query byte so.
        raise bad_request("query is not UTF-8") from None
    return hashlib.sha1(b"".join(encoded)).hexdigest()


def check_signature(given: str, *parts: str) -> None:
    """403 unless ``given`` is the signature of ``parts``; compared in constant time so the
    time a refusal takes says nothing about how many leading characters were right."""
    expected = signature(*parts)
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise forbidden()


@dataclass(frozen=True)
class Sealed:
    """An encrypted reply's four fields, for the XML or the JSON envelope."""

    encrypt: str
    signature: str
    timestamp: str
    nonce: str

    def xml(self) -> str:
        return SEALED_XML.format(
            encrypt=self.encrypt, signature=self.signature, timestamp=self.timestamp, nonce=self.nonce
        )

    def json_fields(self) -> dict[str, str]:
        return {
            "Encrypt": self.encrypt,
            "MsgSignature": self.signature,
            "TimeStamp": self.timestamp,
            "Nonce": self.nonce,
        }


class MessageCrypto:
    """One receiver's key and token (WeCom: the corp id; Official Account: the app id)."""

    def __init__(self, token: str, encoding_aes_key: str, receiver_id: str) -> None:
        key = binascii.a2b_base64(encoding_aes_key + "=")
        if len(key) != 32:
            raise ValueError("an EncodingAESKey is 43 base64 characters (32 bytes)")
        self.token = token
        self.receiver_id = receiver_id.encode()
        # A Cipher holds no per-message state (each encryptor/decryptor is a fresh context), so
        # one serves every message; building it validates key and IV each time.
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def open(self, given_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """The plaintext of a signed ciphertext: 403 for a bad signature, 400 for anything else
        wrong (a ciphertext that does not decrypt, bad padding, another receiver's message).

        The signature is checked first and covers the ciphertext, so only a holder of the token
        reaches the padding and length checks: how they fail can be no padding oracle.
        """
        check_signature(given_signature, self.token, timestamp, nonce, encrypt)
        try:
            raw = binascii.a2b_base64(encrypt.encode())
            decryptor = self._cipher.decryptor()
            plain = decryptor.update(raw) + decryptor.finalize()  # ValueError unless whole blocks
        except ValueError as exc:  # binascii.Error and UnicodeEncodeError are ValueErrors
            raise bad_request(f"cannot decrypt: {type(exc).__name__}") from None
        padding = plain[-1] if plain else 0
        if not 1 <= padding <= BLOCK or plain[-padding:] != bytes((padding,)) * padding:
            raise bad_request("cannot decrypt: bad padding")
        content = plain[RANDOM_PREFIX:-padding]
        if len(content) < LENGTH_PREFIX:
            raise bad_request("cannot decrypt: too short")
        end = LENGTH_PREFIX + int.from_bytes(content[:LENGTH_PREFIX], "big")
        try:
            message = content[LENGTH_PREFIX:end].decode()
        except UnicodeDecodeError:
            raise bad_request("cannot decrypt: UnicodeDecodeError") from None
        # A length past the end leaves no receiver id, which is refused like a wrong one.
        if content[end:] != self.receiver_id:
            raise bad_request("receiver id does not match")
        return message

    def seal(self, message: str, nonce: str, timestamp: str) -> Sealed:
        text = message.encode()
        # Hex digits: the letters-and-digits prefix wechatpy sends, from a cryptographic source.
        body = secrets.token_hex(RANDOM_PREFIX // 2).encode() + len(text).to_bytes(LENGTH_PREFIX, "big")
        body += text + self.receiver_id
        padding = BLOCK - len(body) % BLOCK
        encryptor = self._cipher.encryptor()
        raw = encryptor.update(body + bytes((padding,)) * padding) + encryptor.finalize()
        encrypt = binascii.b2a_base64(raw, newline=False).decode()
        return Sealed(encrypt, signature(self.token, timestamp, nonce, encrypt), timestamp, nonce)
