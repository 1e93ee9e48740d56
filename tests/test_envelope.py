"""bot.channels.envelope against wechatpy 1.8.18, which the channels used before: the same
plaintext from every message either can open, the same refusals, round trips both ways, and
Tencent's published samples reproduced byte for byte."""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime

import pytest
import xmltodict
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.crypto import WeChatCrypto as MpCrypto
from wechatpy.crypto.base import BasePrpCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from bot.channels import envelope
from bot.channels.envelope import MessageCrypto, check_signature, signature
from bot.channels.wire import Rejected, escape_cdata, text_reply_xml
from scheduler.clock import TZ
from storage.wording import clip
from tests.fixtures.tencent_samples import ENCRYPTED_SAMPLES, MP_DOC_SAFE_MODE_REPLY, CallbackSample, SampleKind

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_ID = "wx5823bf96d3bd56c7"
TIMESTAMP, NONCE = "1409659813", "1372623149"
# Lengths around the 32-byte padding blocks (20 bytes of prefixes and 18 of receiver id around them).
MESSAGES = ["", "a", "<xml><Content><![CDATA[今天发放资料200份]]></Content></xml>"] + ["x" * n for n in range(20, 60)]


@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize("theirs_class", [WeComCrypto, MpCrypto], ids=["wecom", "mp"])
def test_round_trips_both_ways_with_wechatpy(message: str, theirs_class: type) -> None:
    ours, theirs = MessageCrypto(TOKEN, AES_KEY, CORP_ID), theirs_class(TOKEN, AES_KEY, CORP_ID)
    sealed = ours.seal(message, NONCE, TIMESTAMP)
    assert theirs.decrypt_message(sealed.xml(), sealed.signature, TIMESTAMP, NONCE) == message
    packed = xmltodict.parse(theirs.encrypt_message(message, NONCE, TIMESTAMP))["xml"]
    assert ours.open(packed["MsgSignature"], TIMESTAMP, NONCE, packed["Encrypt"]) == message


@pytest.mark.parametrize("sample", ENCRYPTED_SAMPLES, ids=[s.name for s in ENCRYPTED_SAMPLES])
def test_tencent_samples_open_and_reseal_byte_for_byte(sample: CallbackSample, monkeypatch: pytest.MonkeyPatch) -> None:
    crypto = MessageCrypto(sample.token, sample.aes_key, sample.receiver_id)
    assert crypto.open(sample.signature, sample.timestamp, sample.nonce, sample.encrypt) == sample.plaintext
    monkeypatch.setattr(secrets, "token_hex", lambda _n: sample.random_prefix)
    sealed = crypto.seal(sample.plaintext, sample.nonce, sample.timestamp)
    assert (sealed.encrypt, sealed.signature) == (sample.encrypt, sample.signature)


def test_the_sealed_envelopes_are_wechatpys(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = MP_DOC_SAFE_MODE_REPLY
    monkeypatch.setattr(secrets, "token_hex", lambda _n: reply.random_prefix)
    monkeypatch.setattr(BasePrpCrypto, "get_random_string", lambda _self: reply.random_prefix)
    theirs = MpCrypto(reply.token, reply.aes_key, reply.receiver_id)
    sealed = MessageCrypto(reply.token, reply.aes_key, reply.receiver_id).seal(
        reply.plaintext, reply.nonce, reply.timestamp
    )
    wechatpy_xml = theirs.encrypt_message(reply.plaintext, reply.nonce, reply.timestamp)
    assert sealed.xml() == wechatpy_xml
    assert sealed.json_fields() == dict(xmltodict.parse(wechatpy_xml)["xml"])


def test_the_random_prefix_differs_per_message() -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, CORP_ID)
    assert crypto.seal("same", NONCE, TIMESTAMP).encrypt != crypto.seal("same", NONCE, TIMESTAMP).encrypt


@pytest.mark.parametrize(
    "parts", [(TOKEN, TIMESTAMP, NONCE), (TOKEN, TIMESTAMP, NONCE, "abc+/="), ("", "", "x", "令牌"), ("b", "a", "ab")]
)
def test_signature_is_wechatpys(parts: tuple[str, ...]) -> None:
    signer = WeChatSigner()
    signer.add_data(*parts)
    assert signature(*parts) == signer.signature


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(envelope.hmac, "compare_digest", recording)
    good = signature(TOKEN, TIMESTAMP, NONCE)
    check_signature(good, TOKEN, TIMESTAMP, NONCE)
    with pytest.raises(Rejected):
        check_signature(good[:-1] + "0", TOKEN, TIMESTAMP, NONCE)
    assert len(compared) == 2


@pytest.mark.parametrize("given", ["", "签名", "\udcff", "0" * 40, "x" * 10_000])
def test_any_wrong_signature_is_403(given: str) -> None:
    with pytest.raises(Rejected) as refused:
        MessageCrypto(TOKEN, AES_KEY, CORP_ID).open(given, TIMESTAMP, NONCE, "AAAA")
    assert refused.value.status == 403


@pytest.mark.parametrize("at", range(3))
def test_a_query_value_that_is_not_utf8_is_400(at: int) -> None:
    query = [signature(TOKEN, TIMESTAMP, NONCE), TIMESTAMP, NONCE]
    query[at] = "\udcff"
    with pytest.raises(Rejected) as refused:
        check_signature(query[0], TOKEN, query[1], query[2])
    assert refused.value.status == (403 if at == 0 else 400)


def _key() -> bytes:
    return base64.b64decode(AES_KEY + "=")


def _forge(plain: bytes) -> str:
    """A correctly signed ciphertext of ``plain`` (already a whole number of AES blocks): what
    only a holder of the key and token can send, to reach the checks after the signature."""
    encryptor = Cipher(algorithms.AES(_key()), modes.CBC(_key()[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _pad(body: bytes) -> bytes:
    n = 32 - len(body) % 32
    return body + bytes([n]) * n


def _zero_pad(body: bytes, last: int | None = None) -> bytes:
    """Zeros to the block, or zeros ending in ``last``: padding that is not PKCS#7."""
    n = 32 - len(body) % 32
    return body + bytes(n) if last is None else body + bytes(n - 1) + bytes([last])


PREFIX = b"0123456789abcdef"
ID = CORP_ID.encode()
# name -> (Encrypt, whether wechatpy refuses it too)
TAMPERED = {
    "not-base64-blocks": ("QUJD", True),
    "empty": ("", True),
    "cut-short": (_forge(_pad(PREFIX + (3).to_bytes(4, "big") + b"abc" + ID))[:-8], True),
    "padding-0": (_forge(_zero_pad(PREFIX + (3).to_bytes(4, "big") + b"abc" + ID)), True),
    "length-past-end": (_forge(_pad(PREFIX + (999).to_bytes(4, "big") + b"abc" + ID)), True),
    "another-receiver": (_forge(_pad(PREFIX + (3).to_bytes(4, "big") + b"abc" + b"wx0000")), True),
    "no-receiver": (_forge(_pad(PREFIX + (3).to_bytes(4, "big") + b"abc")), True),
    "not-utf8": (_forge(_pad(PREFIX + (3).to_bytes(4, "big") + b"\xff\xfe\xfd" + ID)), True),
    "only-the-prefix": (_forge(_pad(PREFIX)), True),
    # wechatpy strips whatever the last byte says; PKCS#7 (which Tencent's encoders write) is checked here.
    "padding-bytes-differ": (_forge(_zero_pad(PREFIX + (3).to_bytes(4, "big") + b"abc" + ID, 23)), False),
    "padding-over-32": (_forge(_pad(PREFIX + (3).to_bytes(4, "big") + b"abc" + ID)[:-1] + b"\x21"), True),
}


@pytest.mark.parametrize("name", TAMPERED)
def test_every_tampered_ciphertext_is_400_where_wechatpy_refuses(name: str) -> None:
    encrypt, wechatpy_refuses = TAMPERED[name]
    given = signature(TOKEN, TIMESTAMP, NONCE, encrypt)
    with pytest.raises(Rejected) as refused:
        MessageCrypto(TOKEN, AES_KEY, CORP_ID).open(given, TIMESTAMP, NONCE, encrypt)
    assert refused.value.status == 400
    theirs = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    if wechatpy_refuses:
        with pytest.raises(Exception):  # noqa: B017 - any of its errors; the channels mapped them all to 400
            theirs.decrypt_message({"Encrypt": encrypt}, given, TIMESTAMP, NONCE)


def test_a_key_of_the_wrong_length_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        MessageCrypto(TOKEN, AES_KEY[:-4], CORP_ID)


def test_url_check_echo_opens_like_wechatpy() -> None:
    sample = next(s for s in ENCRYPTED_SAMPLES if s.kind is SampleKind.WECOM_URL_CHECK)
    theirs = WeComCrypto(sample.token, sample.aes_key, sample.receiver_id)
    expected = theirs.check_signature(sample.signature, sample.timestamp, sample.nonce, sample.encrypt)
    ours = MessageCrypto(sample.token, sample.aes_key, sample.receiver_id)
    assert ours.open(sample.signature, sample.timestamp, sample.nonce, sample.encrypt) == expected


@pytest.mark.parametrize(
    ("fields", "content"),
    [
        ({"ToUserName": "wx1", "FromUserName": "u1"}, "已记录：新华路商圈，发放资料200份"),
        ({}, ""),
        ({"ToUserName": "a]]>b", "FromUserName": "<x>&"}, "end]]>and ]]> again\n第二行"),
        ({"ToUserName": "wx1", "FromUserName": "u1"}, "很长的回复\n" * 400),  # clipped to WeChat's limit
    ],
    ids=["report", "no-ids", "cdata-ends", "clipped"],
)
def test_the_text_reply_is_wechatpys_byte_for_byte(fields: dict[str, str], content: str) -> None:
    now = datetime.fromtimestamp(1776852000.7, TZ)
    ours = text_reply_xml(fields, content, now)
    theirs = TextReply(
        source=fields.get("ToUserName"),
        target=fields.get("FromUserName"),
        content=escape_cdata(clip(content)),
        time=int(now.timestamp()),
    ).render()
    assert ours == theirs
