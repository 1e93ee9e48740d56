"""Official Account callbacks: plaintext, compatible and safe modes."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmltodict

from bot.channels.wire import escape_cdata, text_reply_xml
from bot.sandbox.callbacks import message_xml, reply_content
from storage.models import InboundMessage
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        yield harness


def _text(bot: Harness, content: str, msg_id: int = 1001) -> str:
    return message_xml(
        bot.settings.channels.mp.app_id, "openid-abc", bot.clock.now(), "text", {"Content": content, "MsgId": msg_id}
    )


async def _post(bot: Harness, query: dict[str, str], body: str) -> tuple[int, str]:
    async with bot.http.post(bot.url("/wechat/mp"), params=query, data=body.encode()) as resp:
        return resp.status, await resp.text()


async def test_get_verification_echoes_in_plain(bot: Harness) -> None:
    query = bot.mp_sealer().plain_query(1409304348, "1372623149") | {"echostr": "5837397520665436492"}
    async with bot.http.get(bot.url("/wechat/mp"), params=query) as resp:
        assert resp.status == 200 and await resp.text() == "5837397520665436492"
    query["signature"] = "f" * 40
    async with bot.http.get(bot.url("/wechat/mp"), params=query) as resp:
        assert resp.status == 403


async def test_plaintext_mode_round_trip(bot: Harness) -> None:
    sealed = bot.mp_sealer().seal(_text(bot, "你好"), 1409304348, "n1", encrypted=False)
    status, body = await _post(bot, sealed.query, sealed.body)
    assert status == 200 and "<Encrypt>" not in body
    assert "绑定 邀请码" in (reply_content(body) or "")
    assert "<ToUserName><![CDATA[openid-abc]]></ToUserName>" in body


async def test_plaintext_mode_forged_signature_is_403(bot: Harness) -> None:
    sealed = bot.mp_sealer().seal(_text(bot, "你好"), 1409304348, "n1", encrypted=False)
    status, _ = await _post(bot, sealed.query | {"signature": "0" * 40}, sealed.body)
    assert status == 403 and bot.rows(InboundMessage) == []


async def test_safe_mode_round_trip_reply_is_encrypted(bot: Harness) -> None:
    sealer = bot.mp_sealer()
    sealed = sealer.seal(_text(bot, "你好"), 1409304348, "n2")
    assert "Content" not in sealed.body
    status, body = await _post(bot, sealed.query, sealed.body)
    assert status == 200 and "<Encrypt>" in body
    assert "绑定 邀请码" in (reply_content(sealer.open_reply(body)) or "")


async def test_compatible_mode_body_carries_plain_and_encrypted(bot: Harness) -> None:
    sealer = bot.mp_sealer()
    plain = _text(bot, "你好")
    sealed = sealer.seal(plain, 1409304348, "n3")
    encrypt = xmltodict.parse(sealed.body)["xml"]["Encrypt"]
    compatible = plain.replace("</xml>", f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    status, body = await _post(bot, sealed.query, compatible)
    assert status == 200 and "<Encrypt>" in body
    assert reply_content(sealer.open_reply(body))


async def test_safe_mode_forged_msg_signature_is_403(bot: Harness) -> None:
    sealed = bot.mp_sealer().seal(_text(bot, "你好"), 1409304348, "n4")
    status, _ = await _post(bot, sealed.query | {"msg_signature": "1" * 40}, sealed.body)
    assert status == 403 and bot.rows(InboundMessage) == []


async def test_mp_retry_is_deduplicated(bot: Harness) -> None:
    sealed = bot.mp_sealer().seal(_text(bot, "你好", msg_id=77), 1409304348, "n5", encrypted=False)
    first = await _post(bot, sealed.query, sealed.body)
    second = await _post(bot, sealed.query, sealed.body)
    assert reply_content(first[1]) == reply_content(second[1])
    assert len(bot.rows(InboundMessage)) == 1


def test_reply_text_with_cdata_terminator_survives() -> None:
    from datetime import datetime

    from scheduler.clock import TZ

    tricky = "地点：A]]><Content>evil</Content>"
    msg = {"ToUserName": "gh_1", "FromUserName": "openid-abc"}
    xml = text_reply_xml(msg, tricky, datetime(2026, 4, 20, 9, 0, tzinfo=TZ))
    assert xmltodict.parse(xml)["xml"]["Content"] == tricky
    assert escape_cdata("]]>") == "]]]]><![CDATA[>"
