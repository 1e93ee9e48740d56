"""Official Account callbacks: plaintext, compatible and safe modes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import xmltodict

from bot.channels.wire import escape_cdata, text_reply_xml
from bot.sandbox.callbacks import message_xml, reply_content
from storage.callback_nonces import CallbackNonce
from storage.models import InboundMessage
from tests.harness import Harness, make_settings, with_mp

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


@pytest.fixture
async def bot(tmp_path: Path):
    async with Harness(make_settings(tmp_path)) as harness:
        yield harness


@pytest.fixture
async def compatible_bot(tmp_path: Path):
    """An account with an aes_key that still accepts plaintext posts (allow_plaintext)."""
    async with Harness(with_mp(make_settings(tmp_path), allow_plaintext=True)) as harness:
        yield harness


def _text(bot: Harness, content: str, msg_id: int = 1001, sender: str = "openid-abc") -> str:
    return message_xml(
        bot.settings.channels.mp.app_id, sender, bot.clock.now(), "text", {"Content": content, "MsgId": msg_id}
    )


def _now(bot: Harness) -> int:
    return int(bot.clock.now().timestamp())


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


async def test_plaintext_mode_round_trip(compatible_bot: Harness) -> None:
    bot = compatible_bot
    sealed = bot.mp_sealer().seal(_text(bot, "你好"), _now(bot), "n1", encrypted=False)
    status, body = await _post(bot, sealed.query, sealed.body)
    assert status == 200 and "<Encrypt>" not in body
    assert "绑定 邀请码" in (reply_content(body) or "")
    assert "<ToUserName><![CDATA[openid-abc]]></ToUserName>" in body


async def test_plaintext_mode_forged_signature_is_403(compatible_bot: Harness) -> None:
    bot = compatible_bot
    sealed = bot.mp_sealer().seal(_text(bot, "你好"), _now(bot), "n1", encrypted=False)
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


async def test_mp_retry_is_deduplicated(compatible_bot: Harness) -> None:
    """WeChat's retry re-sends the same query and body: the same (timestamp, nonce) pair is
    accepted again for the same message and answered with the stored reply."""
    bot = compatible_bot
    sealed = bot.mp_sealer().seal(_text(bot, "你好", msg_id=77), _now(bot), "n5", encrypted=False)
    first = await _post(bot, sealed.query, sealed.body)
    bot.clock.advance(timedelta(seconds=5))
    second = await _post(bot, sealed.query, sealed.body)
    assert first[0] == second[0] == 200
    assert reply_content(first[1]) == reply_content(second[1])
    assert len(bot.rows(InboundMessage)) == 1


async def test_plaintext_post_is_403_while_an_aes_key_is_configured(bot: Harness) -> None:
    """The probe's forgery: a captured plaintext query with a hand-written message."""
    bot.clock.set(bot.clock.now().replace(year=2001, month=9, day=9, hour=9, minute=46, second=40))
    assert _now(bot) == 1000000000
    sealed = bot.mp_sealer().seal(_text(bot, "今天在新华路搞了宣传"), 1000000000, "fixednonce", encrypted=False)
    status, reason = await _post(bot, sealed.query, sealed.body)
    assert status == 403 and "aes_key" in reason
    assert bot.rows(InboundMessage) == []


async def test_plaintext_outside_the_window_is_403(compatible_bot: Harness) -> None:
    bot = compatible_bot
    for offset in (-301, 301):
        sealed = bot.mp_sealer().seal(_text(bot, "你好"), _now(bot) + offset, f"n{offset}", encrypted=False)
        status, reason = await _post(bot, sealed.query, sealed.body)
        assert status == 403 and "window" in reason
    sealed = bot.mp_sealer().seal(_text(bot, "你好"), _now(bot) - 299, "n-299", encrypted=False)
    assert (await _post(bot, sealed.query, sealed.body))[0] == 200
    assert len(bot.rows(InboundMessage)) == 1


async def test_captured_plaintext_query_with_another_message_is_403(compatible_bot: Harness) -> None:
    bot = compatible_bot
    sealer = bot.mp_sealer()
    genuine = sealer.seal(_text(bot, "你好", msg_id=1), _now(bot), "captured", encrypted=False)
    assert (await _post(bot, genuine.query, genuine.body))[0] == 200
    for forged in (_text(bot, "你好", msg_id=2), _text(bot, "你好", msg_id=3, sender="openid-evil")):
        status, reason = await _post(bot, genuine.query, forged)
        assert status == 403 and "already used" in reason
    assert [row.dedupe_key for row in bot.rows(InboundMessage)] == ["mp:1"]


async def test_plaintext_only_account_checks_window_and_nonce_too(tmp_path: Path) -> None:
    async with Harness(with_mp(make_settings(tmp_path), aes_key="")) as bot:
        sealed = bot.mp_sealer().seal(_text(bot, "你好", msg_id=5), _now(bot), "once", encrypted=False)
        assert (await _post(bot, sealed.query, sealed.body))[0] == 200
        assert (await _post(bot, sealed.query, _text(bot, "你好", msg_id=6)))[0] == 403
        stale = bot.mp_sealer().seal(_text(bot, "你好", msg_id=7), _now(bot) - 3600, "stale", encrypted=False)
        assert (await _post(bot, stale.query, stale.body))[0] == 403


async def test_used_pair_is_refused_after_a_restart_and_forgotten_after_the_window(tmp_path: Path) -> None:
    settings = with_mp(make_settings(tmp_path), allow_plaintext=True)
    async with Harness(settings) as bot:
        sealed = bot.mp_sealer().seal(_text(bot, "你好", msg_id=11), _now(bot), "kept", encrypted=False)
        assert (await _post(bot, sealed.query, sealed.body))[0] == 200
    async with Harness(settings) as restarted:  # another process on the same database
        assert (await _post(restarted, sealed.query, _text(restarted, "你好", msg_id=12)))[0] == 403
        assert (await _post(restarted, sealed.query, sealed.body))[0] == 200  # WeChat's retry
        restarted.clock.advance(timedelta(seconds=301))
        fresh = restarted.mp_sealer().seal(_text(restarted, "你好", msg_id=13), _now(restarted), "n", encrypted=False)
        assert (await _post(restarted, fresh.query, fresh.body))[0] == 200
        assert [row.nonce for row in restarted.rows(CallbackNonce)] == ["n"]  # "kept" purged


def test_reply_text_with_cdata_terminator_survives() -> None:
    from datetime import datetime

    from scheduler.clock import TZ

    tricky = "地点：A]]><Content>evil</Content>"
    msg = {"ToUserName": "gh_1", "FromUserName": "openid-abc"}
    xml = text_reply_xml(msg, tricky, datetime(2026, 4, 20, 9, 0, tzinfo=TZ))
    assert xmltodict.parse(xml)["xml"]["Content"] == tricky
    assert escape_cdata("]]>") == "]]]]><![CDATA[>"
