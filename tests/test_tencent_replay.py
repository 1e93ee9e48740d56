"""Tencent's published sample callbacks, replayed through the running server over HTTP.

The server is given each sample's token, EncodingAESKey and corp id / app id through the
WEEKBOT_* variables, exactly as an operator would configure it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from yarl import URL

from bot.config import Settings
from scheduler.clock import TZ, ManualClock
from storage.models import InboundMessage
from tests.fixtures.tencent_samples import CALLBACK_SAMPLES, CallbackSample
from tests.harness import Harness, make_settings, with_mp

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

PATHS = {"wecom": "/wechat/work", "mp": "/wechat/mp"}


def _env(sample: CallbackSample) -> dict[str, str]:
    if sample.channel == "wecom":
        return {
            "WEEKBOT_WECOM_TOKEN": sample.token,
            "WEEKBOT_WECOM_AES_KEY": sample.aes_key,
            "WEEKBOT_WECOM_CORP_ID": sample.receiver_id,
        }
    env = {"WEEKBOT_MP_TOKEN": sample.token}
    if sample.aes_key:
        env |= {"WEEKBOT_MP_AES_KEY": sample.aes_key, "WEEKBOT_MP_APP_ID": sample.receiver_id}
    return env


def _sample_bot(tmp_path: Path, sample: CallbackSample) -> Harness:
    """The server configured with the sample's credentials, its clock at the sample's moment (a
    plaintext post is accepted only within minutes of its timestamp)."""
    settings: Settings = make_settings(tmp_path, **_env(sample))
    if sample.channel == "mp" and not sample.aes_key:
        settings = with_mp(settings, aes_key="")  # a plaintext-only account
    return Harness(settings, clock=ManualClock(datetime.fromtimestamp(int(sample.timestamp), TZ)))


async def _send(bot: Harness, sample: CallbackSample) -> tuple[int, str]:
    url = URL(bot.url(PATHS[sample.channel]) + "?" + sample.query_string, encoded=True)
    assert bot.http is not None
    async with bot.http.request(sample.method, url, data=sample.body.encode() or None) as resp:
        return resp.status, await resp.text()


@pytest.mark.parametrize("sample", CALLBACK_SAMPLES, ids=lambda s: s.name)
async def test_published_sample_is_accepted_and_decrypted(tmp_path: Path, sample: CallbackSample) -> None:
    async with _sample_bot(tmp_path, sample) as bot:
        status, body = await _send(bot, sample)
        assert status == 200, body
        if sample.method == "GET":
            assert body == sample.plaintext
        else:
            [row] = bot.rows(InboundMessage)
            assert row.raw_xml == sample.plaintext  # stored decrypted, exactly as sent


@pytest.mark.parametrize("sample", CALLBACK_SAMPLES, ids=lambda s: s.name)
async def test_published_sample_with_changed_signature_is_403(tmp_path: Path, sample: CallbackSample) -> None:
    async with _sample_bot(tmp_path, sample) as bot:
        status, _ = await _send(bot, sample.tampered())
        assert status == 403
        assert bot.rows(InboundMessage) == []
