"""The fake WeChat platform, spoken to in raw HTTP the way the real APIs are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from bot.config import Settings
from bot.sandbox.platform import make_platform_app
from bot.sandbox.state import PlatformState
from scheduler.clock import TZ, ManualClock


@dataclass
class Platform:
    state: PlatformState
    client: TestClient
    clock: ManualClock
    settings: Settings

    async def get_json(self, path: str, **params: Any) -> Any:
        async with self.client.get(path, params=params) as resp:
            assert resp.status == 200
            return await resp.json(content_type=None)

    async def post_json(self, path: str, body: Any, **params: Any) -> Any:
        async with self.client.post(path, params=params, json=body) as resp:
            return await resp.json(content_type=None)

    async def wecom_token(self) -> str:
        cfg = self.settings.channels.wecom
        reply = await self.get_json("/cgi-bin/gettoken", corpid=cfg.corp_id, corpsecret=cfg.secret)
        return str(reply["access_token"])

    async def mp_token(self) -> str:
        cfg = self.settings.channels.mp
        reply = await self.get_json(
            "/cgi-bin/token", grant_type="client_credential", appid=cfg.app_id, secret=cfg.secret
        )
        return str(reply["access_token"])

    async def wecom_send(self, token: str, touser: str, text: str = "hi", **extra: Any) -> Any:
        body = {"touser": touser, "msgtype": "text", "agentid": self.settings.channels.wecom.agent_id}
        body.update(text={"content": text}, **extra)
        return await self.post_json("/cgi-bin/message/send", body, access_token=token)


@pytest.fixture
async def platform(aiohttp_client: Callable[..., Any], settings: Settings) -> Platform:
    clock = ManualClock(datetime(2026, 4, 20, 9, 5, tzinfo=TZ))
    state = PlatformState(settings.channels.wecom, settings.channels.mp, clock)
    return Platform(state, await aiohttp_client(make_platform_app(state)), clock, settings)


async def test_wecom_token_checks_corp_and_secret(platform: Platform) -> None:
    cfg = platform.settings.channels.wecom
    wrong_corp = await platform.get_json("/cgi-bin/gettoken", corpid="ww-other", corpsecret=cfg.secret)
    wrong_secret = await platform.get_json("/cgi-bin/gettoken", corpid=cfg.corp_id, corpsecret="nope")
    good = await platform.get_json("/cgi-bin/gettoken", corpid=cfg.corp_id, corpsecret=cfg.secret)
    assert (wrong_corp["errcode"], wrong_secret["errcode"]) == (40013, 40001)
    assert good["errcode"] == 0 and good["expires_in"] == 7200 and good["access_token"]


async def test_mp_token_checks_grant_app_and_secret(platform: Platform) -> None:
    cfg = platform.settings.channels.mp
    base = {"grant_type": "client_credential", "appid": cfg.app_id, "secret": cfg.secret}
    for override, errcode in [({"grant_type": "x"}, 40002), ({"appid": "wx-other"}, 40013), ({"secret": "no"}, 40001)]:
        assert (await platform.get_json("/cgi-bin/token", **{**base, **override}))["errcode"] == errcode
    good = await platform.get_json("/cgi-bin/token", **base)
    assert "errcode" not in good and good["expires_in"] == 7200


async def test_tokens_are_checked_per_channel_and_expire(platform: Platform) -> None:
    wecom = await platform.wecom_token()
    assert (await platform.wecom_send("", "a"))["errcode"] == 41001
    assert (await platform.wecom_send("made-up", "a"))["errcode"] == 40001
    mp_reply = await platform.post_json(
        "/cgi-bin/message/custom/send",
        {"touser": "o1", "msgtype": "text", "text": {"content": "x"}},
        access_token=wecom,
    )
    assert mp_reply["errcode"] == 40001  # a WeCom token is no good on the Official Account
    assert (await platform.wecom_send(wecom, "a"))["errcode"] == 0
    platform.clock.advance(timedelta(hours=2))
    assert (await platform.wecom_send(wecom, "a"))["errcode"] == 42001
    fresh = await platform.wecom_token()
    platform.state.expire_tokens()
    assert (await platform.wecom_send(fresh, "a"))["errcode"] == 42001


async def test_wecom_send_validates_and_reports_invalid_users(platform: Platform) -> None:
    token = await platform.wecom_token()
    platform.state.invalid_users.add("gone")
    assert (await platform.wecom_send(token, "a", agentid=1))["errcode"] == 40056
    assert (await platform.wecom_send(token, "|".join(f"u{i}" for i in range(1001))))["errcode"] == 40058
    assert (await platform.wecom_send(token, "gone"))["errcode"] == 81013
    reply = await platform.wecom_send(token, "a|gone|b", "提醒")
    assert reply["errcode"] == 0 and reply["invaliduser"] == "gone" and reply["msgid"]
    [message] = platform.state.messages
    assert (message.touser, message.msgtype, message.content) == (("a", "b"), "text", "提醒")


async def test_template_needs_known_template_and_value_fields(platform: Platform) -> None:
    token = await platform.mp_token()
    good = {"touser": "o1", "template_id": "t1", "data": {"thing1": {"value": "周报"}}}
    bad_data = {**good, "data": {"thing1": "周报"}}
    assert (await platform.post_json("/cgi-bin/message/template/send", bad_data, access_token=token))[
        "errcode"
    ] == 47001
    reply = await platform.post_json("/cgi-bin/message/template/send", good, access_token=token)
    assert reply["errcode"] == 0 and isinstance(reply["msgid"], int)
    platform.state.mp = platform.state.mp.model_copy(update={"template_id": "t-configured"})
    assert (await platform.post_json("/cgi-bin/message/template/send", good, access_token=token))["errcode"] == 40037


async def test_media_get_serves_bytes_with_filename_or_a_json_error(platform: Platform) -> None:
    token = await platform.mp_token()
    media_id = platform.state.add_media(b"\xff\xd8jpeg", "image/jpeg", "现场照片.jpg")
    async with platform.client.get("/cgi-bin/media/get", params={"access_token": token, "media_id": media_id}) as resp:
        assert resp.content_type == "image/jpeg"
        assert resp.content_disposition and resp.content_disposition.filename == "现场照片.jpg"
        assert await resp.read() == b"\xff\xd8jpeg"
    missing = await platform.get_json("/cgi-bin/media/get", access_token=token, media_id="nope")
    assert missing["errcode"] == 40007


async def test_faults_apply_in_order_and_run_out(platform: Platform) -> None:
    token = await platform.wecom_token()
    platform.state.inject("*", errcode=-1)
    platform.state.inject("/cgi-bin/message/send", status=503, times=2)
    assert (await platform.wecom_send(token, "a"))["errcode"] == -1
    for _ in range(2):
        async with platform.client.post("/cgi-bin/message/send", params={"access_token": token}, json={}) as resp:
            assert resp.status == 503
    assert (await platform.wecom_send(token, "a"))["errcode"] == 0
    assert platform.state.calls == ["gettoken", *["message/send"] * 4]


def test_a_fault_must_do_something(platform: Platform) -> None:
    with pytest.raises(ValueError):
        platform.state.inject("message/send")
    with pytest.raises(ValueError):
        platform.state.inject(errcode=-1, times=0)


async def test_control_api_drives_the_platform_from_outside(platform: Platform) -> None:
    token = await platform.wecom_token()
    await platform.wecom_send(token, "a|b", "一")
    await platform.wecom_send(token, "b", "二")
    everything = await platform.get_json("/_sandbox/messages")
    assert [m["content"] for m in everything] == ["一", "二"]
    assert everything[0]["touser"] == ["a", "b"] and everything[0]["endpoint"] == "message/send"
    assert [m["content"] for m in await platform.get_json("/_sandbox/messages", touser="a")] == ["一"]

    assert await platform.post_json("/_sandbox/faults", {"endpoint": "message/send", "errcode": 45009}) == {"ok": True}
    assert (await platform.wecom_send(token, "a"))["errcode"] == 45009
    async with platform.client.post("/_sandbox/faults", json={"errcode": -1, "bogus": 1}) as resp:
        assert resp.status == 400

    async with platform.client.post(
        "/_sandbox/media", params={"filename": "p.png"}, data=b"png!", headers={"Content-Type": "image/png"}
    ) as resp:
        seeded = await resp.json()
    assert platform.state.media[seeded["media_id"]].filename == "p.png"
    picurl = URL(seeded["url"])
    assert picurl.origin() == platform.client.make_url("/").origin()
    async with platform.client.get(picurl.path) as resp:
        assert (await resp.read(), resp.content_type) == (b"png!", "image/png")

    assert await platform.post_json("/_sandbox/expire-tokens", {}) == {"ok": True}
    assert (await platform.wecom_send(token, "a"))["errcode"] == 42001
    assert await platform.post_json("/_sandbox/reset", {}) == {"ok": True}
    assert await platform.get_json("/_sandbox/messages") == []
    assert platform.state.media == {} and platform.state.calls == []
    assert (await platform.wecom_send(token, "a"))["errcode"] == 40001  # tokens are gone too


async def test_duplicate_check_drops_an_identical_message_within_the_interval(aiohttp_client, tmp_path) -> None:
    from datetime import timedelta

    from bot.config import load_config
    from bot.sandbox.platform import make_platform_app
    from bot.sandbox.state import PlatformState
    from bot.wechat_api import RetryPolicy, TokenCache, WeComClient
    from scheduler.clock import ManualClock
    from storage.db import Database
    from tests.conftest import EXAMPLE
    from tests.harness import START, database_url

    settings = load_config(EXAMPLE, env={})
    clock = ManualClock(START)
    state = PlatformState(settings.channels.wecom, settings.channels.mp, clock=clock)
    client = await aiohttp_client(make_platform_app(state))
    db = Database(database_url(tmp_path))
    db.create_all()
    cfg = settings.channels.wecom.model_copy(update={"api_base": str(client.make_url("")).rstrip("/")})
    wecom = WeComClient(client.session, cfg, TokenCache(db, clock), RetryPolicy(base_delay=0))
    await wecom.send_text(["u1", "u2"], "提醒", duplicate_check_seconds=600)
    await wecom.send_text(["u1"], "提醒", duplicate_check_seconds=600)  # dropped: same text, same user
    await wecom.send_text(["u1"], "提醒")  # no check asked: delivered
    clock.advance(timedelta(seconds=601))
    await wecom.send_text(["u1"], "提醒", duplicate_check_seconds=600)  # interval over: delivered
    assert [m.touser for m in state.messages] == [("u1", "u2"), ("u1",), ("u1",)]
    assert state.messages[0].payload["duplicate_check_interval"] == 600
