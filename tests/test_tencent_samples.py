"""Tencent's published callback samples verify and decrypt with wechatpy 1.8.18; forged ones do not.

This pins the fixture data (tests/fixtures/tencent_*.py) that the webhook tests replay: if a sample
here stops verifying, the data or the crypto library changed, not the bot.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import xmltodict
from wechatpy import parse_message as parse_mp_message
from wechatpy.crypto import WeChatCrypto as MpCrypto
from wechatpy.crypto.base import BasePrpCrypto
from wechatpy.enterprise import parse_message as parse_wecom_message
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from tests.fixtures.tencent_messages import MESSAGE_SAMPLES, MessageSample
from tests.fixtures.tencent_samples import (
    CALLBACK_SAMPLES,
    ENCRYPTED_SAMPLES,
    MP_DOC_SAFE_MODE_REPLY,
    WECOM_PY_TEXT_MESSAGE,
    WECOM_SDK_TEXT_MESSAGE,
    WECOM_SDK_URL_CHECK,
    CallbackSample,
    SampleKind,
)

# The GET line exactly as printed in sbzhu/weworkapi_php callback/Sample.php.
PUBLISHED_WECOM_GET_QUERY = (
    "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780"
    "&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
)
UNRELATED_RECEIVER_ID = "wx0000000000000000"


def _by_name(samples: tuple[Any, ...]) -> dict[str, Any]:
    return {"argvalues": samples, "ids": [s.name for s in samples]}


def _crypto(sample: CallbackSample) -> WeComCrypto | MpCrypto:
    crypto_class = WeComCrypto if sample.channel == "wecom" else MpCrypto
    return crypto_class(sample.token, sample.aes_key, sample.receiver_id)


def _parsed_body(sample: CallbackSample) -> str | dict[str, Any]:
    # wechatpy parses XML bodies itself; a JSON-format push must be handed over as a dict.
    return json.loads(sample.body) if sample.body_format == "json" else sample.body


def recover(sample: CallbackSample) -> str:
    """Check the request as a receiver must and return what it recovers; raises on a bad signature."""
    if sample.kind is SampleKind.MP_PLAIN:
        check_signature(sample.token, sample.signature, sample.timestamp, sample.nonce)
        return sample.query.get("echostr", sample.body)
    crypto = _crypto(sample)
    if sample.kind is SampleKind.WECOM_URL_CHECK:
        assert isinstance(crypto, WeComCrypto)
        return crypto.check_signature(sample.signature, sample.timestamp, sample.nonce, sample.encrypt)
    return crypto.decrypt_message(_parsed_body(sample), sample.signature, sample.timestamp, sample.nonce)


@pytest.mark.parametrize("sample", **_by_name(CALLBACK_SAMPLES))
def test_sample_verifies_and_recovers_its_plaintext(sample: CallbackSample) -> None:
    assert recover(sample) == sample.plaintext


@pytest.mark.parametrize("sample", **_by_name(CALLBACK_SAMPLES))
def test_one_changed_signature_digit_is_rejected(sample: CallbackSample) -> None:
    forged = sample.tampered()
    differing = [i for i, (a, b) in enumerate(zip(sample.signature, forged.signature, strict=True)) if a != b]
    assert len(differing) == 1
    with pytest.raises(InvalidSignatureException):
        recover(forged)


@pytest.mark.parametrize("sample", **_by_name(ENCRYPTED_SAMPLES))
def test_ciphertext_for_another_receiver_is_rejected(sample: CallbackSample) -> None:
    expected = InvalidCorpIdException if sample.channel == "wecom" else InvalidAppIdException
    with pytest.raises(expected):
        recover(replace(sample, receiver_id=UNRELATED_RECEIVER_ID))


@pytest.mark.parametrize("sample", **_by_name(ENCRYPTED_SAMPLES))
def test_encrypting_with_the_random_prefix_reproduces_the_request(
    sample: CallbackSample, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BasePrpCrypto, "get_random_string", lambda _self: sample.random_prefix)
    packed = xmltodict.parse(_crypto(sample).encrypt_message(sample.plaintext, sample.nonce, sample.timestamp))
    assert packed["xml"]["Encrypt"] == sample.encrypt
    assert packed["xml"]["MsgSignature"] == sample.signature


@pytest.mark.parametrize("sample", **_by_name(tuple(s for s in ENCRYPTED_SAMPLES if s.channel == "mp")))
def test_encrypted_mp_push_also_carries_a_valid_plain_signature(sample: CallbackSample) -> None:
    check_signature(sample.token, sample.query["signature"], sample.timestamp, sample.nonce)
    assert sample.query["encrypt_type"] == "aes"


def test_query_string_matches_the_published_get_request() -> None:
    assert WECOM_SDK_URL_CHECK.query_string == PUBLISHED_WECOM_GET_QUERY


@pytest.mark.parametrize(
    ("sample", "sender", "content"),
    [(WECOM_SDK_TEXT_MESSAGE, "mycreate", "hello"), (WECOM_PY_TEXT_MESSAGE, "ChenJiaShun", "你好")],
    ids=["sdk", "python_sdk_utf8"],
)
def test_decrypted_wecom_message_is_a_text_from_its_sender(sample: CallbackSample, sender: str, content: str) -> None:
    message = parse_wecom_message(recover(sample))
    assert (message.type, message.source, message.content) == ("text", sender, content)


def test_encrypted_reply_decrypts_and_reencrypts_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = MP_DOC_SAFE_MODE_REPLY
    crypto = MpCrypto(reply.token, reply.aes_key, reply.receiver_id)
    body = {"Encrypt": reply.encrypt}
    assert crypto.decrypt_message(body, reply.msg_signature, reply.timestamp, reply.nonce) == reply.plaintext

    monkeypatch.setattr(BasePrpCrypto, "get_random_string", lambda _self: reply.random_prefix)
    packed = xmltodict.parse(crypto.encrypt_message(reply.plaintext, reply.nonce, reply.timestamp))["xml"]
    assert (packed["Encrypt"], packed["MsgSignature"]) == (reply.encrypt, reply.msg_signature)


@pytest.mark.parametrize("sample", **_by_name(MESSAGE_SAMPLES))
def test_documented_message_parses_to_its_type(sample: MessageSample) -> None:
    parse = parse_wecom_message if sample.channel == "wecom" else parse_mp_message
    message = parse(sample.xml)
    assert message.type == sample.msg_type
    assert getattr(message, "event", "") == sample.event


def test_mp_voice_sample_carries_the_recognised_text() -> None:
    voice = next(s for s in MESSAGE_SAMPLES if s.name == "mp_voice_recognition")
    assert parse_mp_message(voice.xml).recognition == "腾讯微信团队"
