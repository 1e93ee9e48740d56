"""The outbound API client against the sandbox platform, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from tenacity import RetryCallState

from bot.config import OfficialAccountConfig, Settings, WeComConfig
from bot.sandbox.platform import make_platform_app
from bot.sandbox.state import PlatformState
from bot.wechat_api import (
    OfficialAccountClient,
    RetriesExhausted,
    RetryPolicy,
    TokenCache,
    WeChatAPIError,
    WeComClient,
)
from scheduler.clock import TZ, ManualClock
from storage.db import Database
from storage.models import AccessToken
from tests.harness import database_url

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

START = datetime(2026, 4, 20, 9, 5, tzinfo=TZ)


class RecordedSleep:
    """Stands in for asyncio.sleep in RetryPolicy: remembers backoff delays, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@dataclass
class World:
    state: PlatformState
    clock: ManualClock
    db_url: str
    wecom_cfg: WeComConfig
    mp_cfg: OfficialAccountConfig
    http: aiohttp.ClientSession
    sleep: RecordedSleep
    databases: list[Database]

    def cache(self, lease: timedelta = timedelta(seconds=15)) -> TokenCache:
        """A TokenCache on its own Database object, as another process would have."""
        db = Database(self.db_url)
        self.databases.append(db)
        return TokenCache(db, self.clock, lease=lease, poll_interval=0.01)

    def policy(self, timeout: float) -> RetryPolicy:
        return RetryPolicy(base_delay=0.5, timeout=timeout, sleep=self.sleep)

    def wecom(self, timeout: float = 2.0) -> WeComClient:
        return WeComClient(self.http, self.wecom_cfg, self.cache(), self.policy(timeout))

    def mp(self) -> OfficialAccountClient:
        return OfficialAccountClient(self.http, self.mp_cfg, self.cache(), self.policy(timeout=2.0))


@pytest.fixture
async def world(aiohttp_server: Callable[..., TestServer], settings: Settings, tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(START)
    state = PlatformState(settings.channels.wecom, settings.channels.mp, clock)
    server = await aiohttp_server(make_platform_app(state))
    base = str(server.make_url("")).rstrip("/")
    db_url = database_url(tmp_path)
    setup = Database(db_url)
    setup.create_all()
    async with aiohttp.ClientSession() as http:
        world = World(
            state=state,
            clock=clock,
            db_url=db_url,
            wecom_cfg=settings.channels.wecom.model_copy(update={"api_base": base}),
            mp_cfg=settings.channels.mp.model_copy(update={"api_base": base}),
            http=http,
            sleep=RecordedSleep(),
            databases=[setup],
        )
        yield world
    for db in world.databases:
        db.close()


def sent_batches(state: PlatformState) -> list[int]:
    return [len(m.touser) for m in state.messages]


# ---- tokens ----


async def test_token_fetched_once_and_shared_by_two_processes(world: World) -> None:
    first, second = world.wecom(), world.wecom()
    await first.send_text(["tianlin"], "你好")
    await second.send_text(["tianlin"], "再见")
    assert world.state.calls_to("gettoken") == 1
    assert [m.content for m in world.state.messages_to("tianlin")] == ["你好", "再见"]


async def test_concurrent_callers_refresh_once(world: World) -> None:
    one, other = world.wecom(), world.wecom()
    sends = [client.send_text([f"u{i}"], "早上好") for i in range(10) for client in (one, other)]
    await asyncio.gather(*sends)
    assert world.state.calls_to("gettoken") == 1
    assert len(world.state.messages) == 20


async def test_token_renewed_five_minutes_before_expiry(world: World) -> None:
    client = world.wecom()
    await client.send_text(["a"], "1")
    world.clock.advance(timedelta(hours=1, minutes=54))  # 6 min left: still used
    await client.send_text(["a"], "2")
    assert world.state.calls_to("gettoken") == 1
    world.clock.advance(timedelta(minutes=2))  # 4 min left: renewed before use
    await client.send_text(["a"], "3")
    assert world.state.calls_to("gettoken") == 2
    assert world.state.calls_to("message/send") == 3


@pytest.mark.parametrize("reject", ["expire", 40001, 40014, 42001])
async def test_rejected_token_is_replaced_and_the_call_succeeds(world: World, reject: str | int) -> None:
    client = world.wecom()
    await client.send_text(["a"], "1")
    if reject == "expire":
        world.state.expire_tokens()
    else:
        world.state.inject("message/send", errcode=int(reject))
    await client.send_text(["a"], "2")
    assert world.state.calls_to("gettoken") == 2
    assert world.state.calls_to("message/send") == 3
    assert world.sleep.delays == []  # a new token needs no backoff


async def test_wrong_secret_is_raised_without_retrying(world: World) -> None:
    world.wecom_cfg = world.wecom_cfg.model_copy(update={"secret": "wrong"})
    with pytest.raises(WeChatAPIError) as caught:
        await world.wecom().send_text(["a"], "1")
    assert caught.value.errcode == 40001
    assert caught.value.endpoint == "gettoken"
    assert world.state.calls == ["gettoken"]


async def test_lease_held_elsewhere_waits_for_the_token_it_brings(world: World) -> None:
    holder, waiter = world.cache(), world.cache()
    release = asyncio.Event()
    fetches: list[str] = []

    async def slow_fetch() -> tuple[str, int]:
        fetches.append("holder")
        await release.wait()
        return "tok-1", 7200

    async def other_fetch() -> tuple[str, int]:
        fetches.append("waiter")
        return "tok-2", 7200

    holding = asyncio.create_task(holder.get("k", slow_fetch))
    while not fetches:
        await asyncio.sleep(0.005)
    waiting = asyncio.create_task(waiter.get("k", other_fetch))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    release.set()
    assert await holding == "tok-1"
    assert await waiting == "tok-1"
    assert fetches == ["holder"]


async def test_lapsed_lease_is_taken_over(world: World) -> None:
    cache = world.cache()
    stuck_until = START + timedelta(seconds=15)
    world.databases[0].call(lambda s: s.add(AccessToken(app_key="k", refreshing_until=stuck_until)))

    async def fetch() -> tuple[str, int]:
        return "fresh", 7200

    task = asyncio.create_task(cache.get("k", fetch))
    await asyncio.sleep(0.05)
    assert not task.done()  # a (dead) process holds the lease
    world.clock.advance(timedelta(seconds=16))
    assert await task == "fresh"


async def test_frozen_clock_takes_over_after_one_lease_of_polling(world: World) -> None:
    cache = world.cache(lease=timedelta(seconds=0.05))
    world.databases[0].call(lambda s: s.add(AccessToken(app_key="k", refreshing_until=START + timedelta(hours=1))))

    async def fetch() -> tuple[str, int]:
        return "fresh", 7200

    assert await asyncio.wait_for(cache.get("k", fetch), timeout=5) == "fresh"


async def test_failed_fetch_releases_the_lease(world: World) -> None:
    first, second = world.cache(), world.cache()

    async def broken() -> tuple[str, int]:
        raise WeChatAPIError(-1, "system busy", "gettoken")

    async def working() -> tuple[str, int]:
        return "ok", 7200

    with pytest.raises(WeChatAPIError):
        await first.get("k", broken)
    assert await asyncio.wait_for(second.get("k", working), timeout=0.5) == "ok"


async def test_invalidate_spares_a_token_already_replaced(world: World) -> None:
    cache = world.cache()
    tokens = iter(["new", "newer"])

    async def fetch() -> tuple[str, int]:
        return next(tokens), 7200

    assert await cache.get("k", fetch) == "new"
    await cache.invalidate("k", "old")
    assert await cache.get("k", fetch) == "new"
    await cache.invalidate("k", "new")
    assert await cache.get("k", fetch) == "newer"


# ---- retries ----


async def test_busy_and_server_errors_back_off_then_succeed(world: World) -> None:
    client = world.wecom()
    world.state.inject("message/send", errcode=-1)
    world.state.inject("message/send", status=502)
    await client.send_text(["a"], "hi")
    assert world.state.calls_to("message/send") == 3
    assert len(world.state.messages) == 1
    first, second = world.sleep.delays
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0  # exponential, jittered


def test_backoff_is_capped() -> None:
    backoff = RetryPolicy(base_delay=1.0, max_delay=3.0).backoff
    state = RetryCallState(None, None, (), {})
    for failed in range(3, 20):
        state.attempt_number = failed
        assert 1.5 <= backoff(state) <= 3.0


async def test_rate_limit_is_raised_at_once(world: World) -> None:
    world.state.inject("message/send", errcode=45009)
    with pytest.raises(WeChatAPIError) as caught:
        await world.wecom().send_text(["a"], "hi")
    assert not isinstance(caught.value, RetriesExhausted)
    assert (caught.value.errcode, caught.value.endpoint) == (45009, "message/send")
    assert world.state.calls_to("message/send") == 1


async def test_gives_up_after_max_attempts_with_a_clear_error(world: World) -> None:
    world.state.inject("message/send", status=503, times=10)
    with pytest.raises(RetriesExhausted) as caught:
        await world.wecom().send_text(["a"], "hi")
    assert world.state.calls_to("message/send") == 4
    message = str(caught.value)
    assert "message/send" in message and "4 attempts" in message and "HTTP 503" in message
    assert world.wecom_cfg.secret not in message
    assert len(world.sleep.delays) == 3


async def test_stalled_call_times_out_and_is_retried(world: World) -> None:
    world.state.inject("message/send", stall=1.0)
    await world.wecom(timeout=0.2).send_text(["a"], "hi")
    assert world.state.calls_to("message/send") == 2


async def test_unreachable_platform_is_retried_then_reported(world: World) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    world.wecom_cfg = world.wecom_cfg.model_copy(update={"api_base": f"http://127.0.0.1:{closed_port}"})
    with pytest.raises(RetriesExhausted) as caught:
        await world.wecom().send_text(["a"], "hi")
    assert caught.value.endpoint == "gettoken" and caught.value.attempts == 4
    assert "ClientConnectorError" in str(caught.value)


# ---- WeCom messages and media ----


async def test_large_sends_go_in_batches_of_1000(world: World) -> None:
    users = [f"user{i:04d}" for i in range(2345)]
    result = await world.wecom().send_text(users, "周报提醒")
    assert sent_batches(world.state) == [1000, 1000, 345]
    assert [m.agentid for m in world.state.messages] == [world.wecom_cfg.agent_id] * 3
    assert len(result.msgids) == 3 and result.invalid_users == ()


async def test_invalid_users_are_reported_across_batches(world: World) -> None:
    world.state.invalid_users.update({"user0003", "user1500"})
    users = [f"user{i:04d}" for i in range(1600)]
    result = await world.wecom().send_text(users, "周报提醒")
    assert result.invalid_users == ("user0003", "user1500")
    assert sent_batches(world.state) == [999, 599]


async def test_all_recipients_invalid_is_raised(world: World) -> None:
    world.state.invalid_users.add("ghost")
    with pytest.raises(WeChatAPIError) as caught:
        await world.wecom().send_text(["ghost"], "hi")
    assert caught.value.errcode == 81013


async def test_uploaded_image_can_be_sent_and_fetched(world: World) -> None:
    client = world.wecom()
    media_id = await client.upload_image(b"\x89PNG fake", "海报.png")
    await client.send_image(["tianlin"], media_id)
    assert [(m.msgtype, m.content) for m in world.state.messages] == [("image", media_id)]
    media = await client.get_media(media_id)
    assert (media.data, media.content_type, media.filename) == (b"\x89PNG fake", "image/png", "海报.png")


async def test_unknown_media_is_a_json_error_not_bytes(world: World) -> None:
    with pytest.raises(WeChatAPIError) as caught:
        await world.wecom().get_media("no-such-media")
    assert caught.value.errcode == 40007
    assert world.state.calls_to("media/get") == 1


# ---- Official Account ----


async def test_custom_and_template_messages(world: World) -> None:
    client = world.mp()
    await client.send_custom_text("openid-1", "收到，谢谢！")
    msgid = await client.send_template(
        "openid-1", "tmpl-1", {"thing1": "周报", "time2": {"value": "4月28日"}}, url="http://x/y"
    )
    custom, template = world.state.messages_to("openid-1")
    assert (custom.endpoint, custom.content) == ("message/custom/send", "收到，谢谢！")
    assert template.content == "thing1: 周报\ntime2: 4月28日"
    assert template.payload["url"] == "http://x/y" and template.payload["template_id"] == "tmpl-1"
    assert msgid > 0
    assert world.state.calls_to("token") == 1


async def test_mp_media_and_picurl_download(world: World) -> None:
    client = world.mp()
    media_id = world.state.add_media(b"jpeg bytes", "image/jpeg", "photo.jpg")
    assert (await client.get_media(media_id)).data == b"jpeg bytes"
    picture = await client.download(f"{world.mp_cfg.api_base}/_sandbox/media/{media_id}")
    assert (picture.data, picture.content_type) == (b"jpeg bytes", "image/jpeg")
    assert world.state.calls_to("token") == 1


async def test_missing_picurl_is_not_retried(world: World) -> None:
    with pytest.raises(WeChatAPIError) as caught:
        await world.mp().download(f"{world.mp_cfg.api_base}/_sandbox/media/gone")
    assert not isinstance(caught.value, RetriesExhausted)
    assert "HTTP 404" in str(caught.value)
