"""Fuzzing the callback decoders of both channels through the real aiohttp app.

Correctly signed (and, where the mode has one, correctly encrypted) posts whose content is
anything at all: random field structures, repeated and nested fields, deep nesting, any unicode
including lone surrogates and NUL, truncated or corrupted plaintext, wrong padding, ciphertexts
cut short, and random query strings. Whatever comes in: never a 5xx, nothing stored for a
refused request, and /healthz still answers promptly afterwards.

Bounded for `make test`: a fixed number of examples per backend, derandomized, so a CI run sees
the same cases every time (the file took 32 s, both backends, on the 2-core development machine).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.config import load_config
from storage.models import InboundMessage
from tests.callback_forge import Forger, Mode
from tests.conftest import EXAMPLE
from tests.harness import START, Harness, with_mp

EXAMPLES_PER_BACKEND = 120
HEALTHZ_WITHIN_SECONDS = 0.1

# WeChat's field names (the decoder's own list is not imported: the fuzz should not share its blind spots).
NAMES = st.sampled_from(
    [
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "MsgId",
        "Event",
        "EventKey",
        "Content",
        "Recognition",
        "MediaId",
        "PicUrl",
        "Location_X",
        "Location_Y",
        "Label",
        "Title",
        "Description",
        "Url",
        "AgentID",
        "Encrypt",
        "ScanCodeInfo",
        "xml",
        "item",
        "Extra",
    ]
)
ODD_TEXT = st.sampled_from(["\ud800", "a\udfffb", "\x00", "]]>", "<b>", "&amp;", "", " ", "9" * 300, "event"])
TEXT = st.text(max_size=40) | ODD_TEXT | st.sampled_from(["text", "image", "voice", "location", "link", "event"])
SCALARS = TEXT | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
    max_leaves=12,
)
MESSAGES = st.dictionaries(NAMES, VALUES, max_size=8).map(
    # Most examples look like a message, so the decoder gets past its first checks.
    lambda extra: {"FromUserName": "openid-fuzz", "CreateTime": 1776650700, "MsgType": "text", **extra}
)


def _xml_value(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_xml_value(name, item) for item in value)  # a repeated element
    if isinstance(value, dict):
        inner = "".join(_xml_value(key, item) for key, item in value.items())
    else:
        inner = escape(str(value))
    return f"<{name}>{inner}</{name}>"


def _encode(message: dict[str, Any], as_json: bool) -> bytes:
    if as_json:
        return json.dumps(message).encode()  # ensure_ascii: a lone surrogate becomes "\\ud800"
    return _xml_value("xml", message).encode("utf-8", "surrogatepass")


DEEP = st.integers(min_value=2, max_value=3000).map(
    lambda depth: (b"<xml>" + b"<a>" * depth + b"</a>" * depth + b"</xml>", b"[" * depth + b"]" * depth)
)


@st.composite
def plaintexts(draw: st.DrawFn, as_json: bool) -> bytes:
    kind = draw(st.sampled_from(["message", "message", "message", "truncated", "deep", "bytes"]))
    if kind == "deep":
        xml, array = draw(DEEP)
        return b'{"MsgType": "text", "Content": ' + array + b"}" if as_json else xml
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    body = _encode(draw(MESSAGES), as_json)
    if kind == "truncated":
        return body[: draw(st.integers(min_value=0, max_value=len(body)))]
    return body


QUERY_NAMES = st.sampled_from(["signature", "msg_signature", "timestamp", "nonce", "encrypt_type", "echostr"])


@st.composite
def requests(draw: st.DrawFn, now: int) -> tuple[Mode, dict[str, str], bytes]:
    mode = draw(st.sampled_from(list(Mode)))
    as_json = mode is not Mode.WECOM and draw(st.booleans())
    timestamp = draw(st.sampled_from([str(now)]) | st.integers(min_value=now - 400, max_value=now + 400).map(str))
    nonce = draw(st.text(min_size=1, max_size=20).filter(lambda n: n.isprintable()))
    sealing = draw(
        st.fixed_dictionaries(
            {},
            optional={"pad_byte": st.integers(min_value=0, max_value=255), "blocks": st.integers(0, 12)},
        )
    )
    forged = FORGER.forge(mode, draw(plaintexts(as_json)), timestamp, nonce, as_json=as_json, **sealing)
    query = forged.query
    if draw(st.integers(0, 9)) == 0:  # sometimes a query of anything at all
        query = draw(st.dictionaries(QUERY_NAMES, st.text(max_size=30), max_size=6))
    return mode, query, forged.body


class Served:
    """The app on an event loop this sync test drives (hypothesis cannot await)."""

    def __init__(self, bot: Harness, runner: asyncio.Runner) -> None:
        self.bot = bot
        self.runner = runner

    def post(self, mode: Mode, query: dict[str, str], body: bytes) -> int:
        async def send() -> int:
            assert self.bot.http is not None
            async with self.bot.http.post(self.bot.url(mode.path), params=query, data=body) as resp:
                await resp.read()
                return resp.status

        return self.runner.run(send())

    def healthz_seconds(self) -> float:
        async def timed() -> float:
            assert self.bot.http is not None
            started = time.perf_counter()
            async with self.bot.http.get(self.bot.url("/healthz")) as resp:
                assert resp.status == 200 and (await resp.json())["status"] == "ok"
            return time.perf_counter() - started

        return self.runner.run(timed())

    def stored(self) -> int:
        return self.bot.runtime.db.call(lambda s: s.exec(select(func.count()).select_from(InboundMessage)).one())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, module_backend: str | None) -> Iterator[Served]:
    data = Path(tmp_path_factory.mktemp("fuzz"))
    env = {"WEEKBOT_DATA_DIR": str(data)} | ({"WEEKBOT_DATABASE_URL": module_backend} if module_backend else {})
    bot = Harness(with_mp(load_config(EXAMPLE, env=env), allow_plaintext=True))
    with asyncio.Runner() as runner:
        runner.run(bot.__aenter__())
        try:
            yield Served(bot, runner)
        finally:
            runner.run(bot.__aexit__(None, None, None))


SETTINGS = load_config(EXAMPLE, env={})
FORGER = Forger(SETTINGS.channels.wecom, SETTINGS.channels.mp)
NOW = int(START.timestamp())  # the harness clock does not move during the fuzz


@settings(
    max_examples=EXAMPLES_PER_BACKEND,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(request=requests(NOW))
def test_signed_fuzz_is_never_a_5xx_and_refusals_store_nothing(
    served: Served, request: tuple[Mode, dict[str, str], bytes]
) -> None:
    mode, query, body = request
    before = served.stored()
    status = served.post(mode, query, body)
    event(f"{mode.value} -> {status}")  # pytest --hypothesis-show-statistics shows the spread
    assert status < 500, (mode, query, body[:300])
    if status >= 400:
        assert served.stored() == before, (status, mode, query, body[:300])


def test_healthz_answers_promptly_after_the_fuzz(served: Served) -> None:
    # Best of three: one slow answer on a machine shared with other jobs says nothing about us.
    assert min(served.healthz_seconds() for _ in range(3)) < HEALTHZ_WITHIN_SECONDS
