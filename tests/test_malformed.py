"""Validly signed but malformed callbacks: 400 with a one-line reason, nothing stored, no traceback.

Every case here answered 500 (with a logged traceback) before: WeChat retries a 500, and the
payload can never succeed. Each mode of both channels: WeCom, and the Official Account in
plaintext, compatible and safe mode, XML and JSON.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from storage.models import InboundMessage
from tests.callback_forge import Forged, Forger, Mode
from tests.harness import Harness, make_settings, with_mp

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

# (mode, JSON body?) for every way a message reaches the bot.
VARIANTS = [
    (Mode.WECOM, False),
    (Mode.MP_PLAIN, False),
    (Mode.MP_PLAIN, True),
    (Mode.MP_COMPATIBLE, False),
    (Mode.MP_SAFE, False),
    (Mode.MP_SAFE, True),
]


def _xml(fields: str) -> bytes:
    head = "<ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[openid-x]]></FromUserName>"
    return f"<xml>{head}<CreateTime>1776650700</CreateTime>{fields}</xml>".encode()


def _json(fields: dict[str, object] | str) -> bytes:
    head = '"ToUserName": "gh_1", "FromUserName": "openid-x", "CreateTime": 1776650700'
    inner = fields if isinstance(fields, str) else json.dumps(fields)[1:-1]
    return ("{" + head + (", " + inner if inner else "") + "}").encode()


DEEP_XML = "<a>" * 1200 + "x" + "</a>" * 1200
XML_CASES: dict[str, bytes] = {
    "MsgType missing": _xml("<Content>hi</Content><MsgId>1</MsgId>"),
    "MsgType empty": _xml("<MsgType></MsgType><Content>hi</Content><MsgId>1</MsgId>"),
    "MsgType doubled": _xml("<MsgType>text</MsgType><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId>"),
    "event without Event": _xml("<MsgType>event</MsgType>"),
    "nested EventKey": _xml("<MsgType>event</MsgType><Event>click</Event><EventKey><a>1</a></EventKey>"),
    "nested Content": _xml("<MsgType>text</MsgType><Content><b>hi</b></Content><MsgId>1</MsgId>"),
    "XML nested 1,200 deep": _xml(f"<MsgType>text</MsgType><Content>{DEEP_XML}</Content><MsgId>1</MsgId>"),
    "sender id too long": _xml("<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId>").replace(
        b"openid-x", b"o" * 5000
    ),
    "MsgId too long": _xml(f"<MsgType>text</MsgType><Content>hi</Content><MsgId>{'9' * 5000}</MsgId>"),
    "no fields": b"<xml></xml>",
}
JSON_CASES: dict[str, bytes] = {
    "MsgType missing": _json({"Content": "hi", "MsgId": 1}),
    "MsgType empty": _json({"MsgType": "", "Content": "hi", "MsgId": 1}),
    "MsgType doubled": _json({"MsgType": ["text", "text"], "Content": "hi", "MsgId": 1}),
    "event without Event": _json({"MsgType": "event"}),
    "nested EventKey": _json({"MsgType": "event", "Event": "click", "EventKey": {"a": 1}}),
    "JSON nested 30k deep": _json('"MsgType": "text", "MsgId": 1, "Content": ' + "[" * 30000 + "]" * 30000),
    "lone surrogate in Content": _json('"MsgType": "text", "MsgId": 1, "Content": "\\ud800 hi"'),
    "NUL in Content": _json('"MsgType": "text", "MsgId": 1, "Content": "a\\u0000b"'),
    "Content an object": _json({"MsgType": "text", "MsgId": 1, "Content": {"a": "b"}}),
    "FromUserName a list": _json({"MsgType": "text", "MsgId": 1, "Content": "hi"}).replace(
        b'"openid-x"', b'["a", "b"]'
    ),
    "not an object": b"[1, 2]",
}


def _cases(mode: Mode, as_json: bool) -> dict[str, tuple[bytes, dict[str, int]]]:
    """Each case's plaintext and how to seal it."""
    cases = {name: (body, {}) for name, body in (JSON_CASES if as_json else XML_CASES).items()}
    if mode.encrypted:
        text = _json({"MsgType": "text", "Content": "hi", "MsgId": 1}) if as_json else XML_CASES["MsgType empty"]
        cases["last padding byte 0x00"] = (text, {"pad_byte": 0})
        cases["ciphertext cut to two AES blocks"] = (text, {"blocks": 2})
        cases["ciphertext cut to one AES block"] = (text, {"blocks": 1})
    return cases


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(with_mp(make_settings(tmp_path), allow_plaintext=True)) as harness:
        yield harness


@pytest.mark.parametrize(("mode", "as_json"), VARIANTS, ids=lambda v: v.value if isinstance(v, Mode) else str(v))
async def test_signed_malformed_payloads_are_400_without_traceback(
    bot: Harness, mode: Mode, as_json: bool, caplog: pytest.LogCaptureFixture
) -> None:
    forger = Forger(bot.settings.channels.wecom, bot.settings.channels.mp)
    now = int(bot.clock.now().timestamp())
    answers: dict[str, tuple[int, str]] = {}
    with caplog.at_level(logging.INFO):
        for number, (name, (plaintext, sealing)) in enumerate(_cases(mode, as_json).items()):
            forged = forger.forge(mode, plaintext, now, f"nonce{number}", as_json=as_json, **sealing)
            answers[name] = await _post(bot, mode, forged)
    assert {name: status for name, (status, _) in answers.items()} == dict.fromkeys(answers, 400)
    assert all(reason and "\n" not in reason for _, reason in answers.values()), answers
    assert bot.rows(InboundMessage) == []
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    rejections = [r for r in caplog.records if r.getMessage().startswith("rejected POST")]
    assert len(rejections) == len(answers) and all(r.levelno == logging.INFO for r in rejections)


async def _post(bot: Harness, mode: Mode, forged: Forged) -> tuple[int, str]:
    assert bot.http is not None
    async with bot.http.post(bot.url(mode.path), params=forged.query, data=forged.body) as resp:
        return resp.status, await resp.text()
