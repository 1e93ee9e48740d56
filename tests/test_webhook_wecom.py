"""WeCom callbacks through the real HTTP app: verification, round trips, retries, rejections."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import WeComConfig
from bot.sandbox.callbacks import WeComSealer, reply_content
from storage.models import AuditLog, InboundMessage
from tests.harness import Harness, make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        yield harness


async def test_url_verification_returns_plain_echo(bot: Harness) -> None:
    query = WeComSealer(bot.settings.channels.wecom).echo_query("1616140317555161061", 1409659589, "263014780")
    async with bot.http.get(bot.url("/wechat/work"), params=query) as resp:
        assert resp.status == 200
        assert await resp.text() == "1616140317555161061"


async def test_url_verification_with_forged_signature_is_403(bot: Harness) -> None:
    query = WeComSealer(bot.settings.channels.wecom).echo_query("12345", 1409659589, "263014780")
    query["msg_signature"] = "0" * 40
    async with bot.http.get(bot.url("/wechat/work"), params=query) as resp:
        assert resp.status == 403


async def test_configured_contact_binds_automatically_as_admin(bot: Harness) -> None:
    reply = await bot.say("tianlin", "帮助")
    assert reply is not None and "您已绑定：市市场监督管理局" in reply
    audit = bot.rows(AuditLog)
    assert [(a.action, a.target, a.detail["how"]) for a in audit] == [("bind", "市市场监督管理局", "config")]


async def test_stranger_is_greeted_and_told_how_to_bind(bot: Harness) -> None:
    reply = await bot.say("stranger", "你好")
    assert reply is not None and "绑定 邀请码" in reply and "田林" in reply


async def test_retry_with_same_msgid_gets_same_reply_and_is_stored_once(bot: Harness) -> None:
    user = bot.wecom("stranger")
    xml = user.xml(bot.clock.now(), "text", {"Content": "你好"}, msg_id=42)
    first = await user.post(xml, bot.clock.now())
    second = await user.post(xml, bot.clock.now())
    assert first == second and first[0] == 200 and first[1]
    assert len(bot.rows(InboundMessage)) == 1


async def test_replayed_bind_has_no_new_effect(bot: Harness) -> None:
    user = bot.wecom("liu")
    xml = user.xml(bot.clock.now(), "text", {"Content": f"绑定 {bot.code_for('市商务局')}"}, msg_id=7)
    for _ in range(3):
        status, reply = await user.post(xml, bot.clock.now())
        assert status == 200 and reply and reply.startswith("绑定成功")
    assert [a.action for a in bot.rows(AuditLog)] == ["bind"]


async def test_old_timestamps_are_accepted(bot: Harness) -> None:
    """Tencent's own samples are from 2014; freshness is not demanded, de-duplication protects."""
    from datetime import datetime

    from scheduler.clock import TZ

    old = datetime(2014, 9, 2, 20, 6, tzinfo=TZ)
    user = bot.wecom("stranger")
    status, reply = await user.post(user.xml(old, "text", {"Content": "你好"}), old)
    assert status == 200 and reply


async def test_event_has_dedupe_key_from_sender_time_and_event(bot: Harness) -> None:
    user = bot.wecom("stranger")
    xml = user.xml(bot.clock.now(), "event", {"Event": "enter_agent", "EventKey": ""})
    assert (await user.post(xml, bot.clock.now()))[0] == 200
    assert (await user.post(xml, bot.clock.now()))[0] == 200
    rows = bot.rows(InboundMessage)
    assert len(rows) == 1 and rows[0].dedupe_key.endswith(":enter_agent")


# ---- rejections: nothing is stored, never a 500 ----


async def _post_raw(bot: Harness, query: dict[str, str], body: bytes) -> int:
    async with bot.http.post(bot.url("/wechat/work"), params=query, data=body) as resp:
        text = await resp.text()
        assert "Traceback" not in text
        return resp.status


def _sealed_text(bot: Harness, cfg: WeComConfig | None = None) -> tuple[dict[str, str], str]:
    user = bot.wecom("stranger")
    sealer = WeComSealer(cfg or bot.settings.channels.wecom)
    sealed = sealer.seal(user.xml(bot.clock.now(), "text", {"Content": "你好"}), 1409659813, "263014780")
    return sealed.query, sealed.body


async def test_forged_message_signature_is_403(bot: Harness) -> None:
    query, body = _sealed_text(bot)
    query["msg_signature"] = query["msg_signature"][:-1] + ("0" if query["msg_signature"][-1] != "0" else "1")
    assert await _post_raw(bot, query, body.encode()) == 403
    assert bot.rows(InboundMessage) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<xml><Encrypt>unterminated",
        b"<html><Encrypt>abc</Encrypt></html>",
        b"\xff\xfe<xml></xml>",
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>',
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b"]><xml><Encrypt>&b;</Encrypt></xml>",
    ],
    ids=["not-xml", "truncated", "wrong-root", "not-utf8", "xxe", "billion-laughs"],
)
async def test_malformed_bodies_are_400(bot: Harness, body: bytes) -> None:
    query, _ = _sealed_text(bot)
    assert await _post_raw(bot, query, body) == 400
    assert bot.rows(InboundMessage) == []


async def test_wrong_receiver_id_is_400(bot: Harness) -> None:
    other = bot.settings.channels.wecom.model_copy(update={"corp_id": "wwsomeoneelse0000001"})
    query, body = _sealed_text(bot, other)
    assert await _post_raw(bot, query, body.encode()) == 400
    assert bot.rows(InboundMessage) == []


async def test_bad_base64_with_valid_signature_is_400(bot: Harness) -> None:
    from wechatpy.utils import WeChatSigner

    for garbage in ("!!!notbase64!!!", base64.b64encode(b"short").decode(), "QUJD"):
        signer = WeChatSigner()
        signer.add_data(bot.settings.channels.wecom.token, "1409659813", "263014780", garbage)
        query = {"msg_signature": signer.signature, "timestamp": "1409659813", "nonce": "263014780"}
        body = f"<xml><ToUserName>x</ToUserName><Encrypt>{garbage}</Encrypt></xml>".encode()
        assert await _post_raw(bot, query, body) == 400, garbage
    assert bot.rows(InboundMessage) == []


async def test_oversized_body_is_400(bot: Harness) -> None:
    query, body = _sealed_text(bot)
    padded = body.replace("</xml>", "<Pad>" + "x" * (70 * 1024) + "</Pad></xml>")
    assert await _post_raw(bot, query, padded.encode()) == 400
    assert bot.rows(InboundMessage) == []


async def test_missing_query_parameters_are_400(bot: Harness) -> None:
    _, body = _sealed_text(bot)
    assert await _post_raw(bot, {}, body.encode()) == 400


async def test_reply_is_encrypted_for_the_sender(bot: Harness) -> None:
    user = bot.wecom("stranger")
    sealed = user.sealer.seal(user.xml(bot.clock.now(), "text", {"Content": "你好"}), 1409659813, "n1")
    async with bot.http.post(bot.url("/wechat/work"), params=sealed.query, data=sealed.body) as resp:
        body = await resp.text()
    assert "<Encrypt>" in body and "绑定" not in body  # nothing in clear
    plain = user.sealer.open_reply(body)
    assert "<ToUserName><![CDATA[stranger]]></ToUserName>" in plain
    assert reply_content(plain) and "绑定" in (reply_content(plain) or "")
    rows = bot.runtime.db.call(lambda s: s.exec(select(InboundMessage)).all())
    assert rows[0].raw_xml.startswith("<xml>") and rows[0].reply == reply_content(plain)
