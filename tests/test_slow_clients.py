"""Slow and greedy clients against a real listening socket: headers and bodies have deadlines,
connections are capped, an abandoned upload is one log line. Limits are shrunk to 1 s and four
connections so the tests are quick; the assertions leave wide margins for a loaded machine."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest

from bot.server.serve import web_app
from bot.web.connections import start_site
from tests.harness import Harness, make_settings

LIMIT_SECONDS = 1.0
MAX_CONNECTIONS = 4
CLOSED_WITHIN = 10.0  # generous: the point is "closed", not "closed on the dot"

pytestmark = pytest.mark.both_loops  # `weekbot serve` runs uvloop; the connection guard must hold on both


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    settings = make_settings(tmp_path)
    limits = settings.server.model_copy(
        update={
            "header_timeout_seconds": LIMIT_SECONDS,
            "body_timeout_seconds": LIMIT_SECONDS,
            "max_connections": MAX_CONNECTIONS,
        }
    )
    settings = settings.model_copy(update={"server": limits})
    async with Harness(settings) as bot, AsyncExitStack() as stack:
        url = await start_site(web_app(bot.runtime), "127.0.0.1", 0, stack, limits)
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


async def _closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    try:
        while chunk := await reader.read(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return received


async def _trickle(writer: asyncio.StreamWriter, data: bytes, every: float = 0.2) -> None:
    try:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)
    except ConnectionError:
        pass


async def _healthz(host: str, port: int) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"http://{host}:{port}/healthz") as resp:
        return resp.status


SLOW_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Padding: " + b"a" * 200 + b"\r\n\r\n"


async def test_headers_sent_a_byte_at_a_time_are_cut_off(served: tuple[str, int]) -> None:
    host, port = served
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    trickling = asyncio.create_task(_trickle(writer, SLOW_REQUEST))
    assert await _healthz(host, port) == 200  # others are served meanwhile
    received = await asyncio.wait_for(_closed_by_server(reader), CLOSED_WITHIN)
    assert received == b""
    assert not trickling.done()  # cut while still sending, not after giving up
    assert time.monotonic() - started >= LIMIT_SECONDS * 0.9
    trickling.cancel()
    writer.close()


async def test_kept_alive_connection_gets_the_same_deadline_for_its_next_request(served: tuple[str, int]) -> None:
    host, port = served
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    assert b'"status": "ok"' in await reader.readexactly(length)  # the whole first answer read
    trickling = asyncio.create_task(_trickle(writer, SLOW_REQUEST))
    assert await asyncio.wait_for(_closed_by_server(reader), CLOSED_WITHIN) == b""
    trickling.cancel()
    writer.close()


async def test_connections_beyond_the_cap_are_closed(served: tuple[str, int]) -> None:
    host, port = served
    idle = [await asyncio.open_connection(host, port) for _ in range(MAX_CONNECTIONS)]
    await asyncio.sleep(0.1)  # let the server accept them
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await asyncio.wait_for(_closed_by_server(reader), CLOSED_WITHIN) == b""
    # The idle ones are cut at the header deadline, and the server takes new connections again.
    for idle_reader, _ in idle:
        assert await asyncio.wait_for(_closed_by_server(idle_reader), CLOSED_WITHIN) == b""
    assert await _healthz(host, port) == 200
    for _, idle_writer in [*idle, (reader, writer)]:
        idle_writer.close()


async def test_slow_body_gets_408_and_the_connection_is_closed(served: tuple[str, int]) -> None:
    host, port = served
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /wechat/work?msg_signature=x&timestamp=1&nonce=1 HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 1000\r\n\r\n<xml>"
    )
    trickling = asyncio.create_task(_trickle(writer, b"a" * 100))
    received = await asyncio.wait_for(_closed_by_server(reader), CLOSED_WITHIN + LIMIT_SECONDS)
    assert received.startswith(b"HTTP/1.1 408"), received
    trickling.cancel()
    writer.close()


async def test_abandoned_upload_logs_one_line_and_no_traceback(
    served: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    host, port = served
    with caplog.at_level(logging.DEBUG):
        _, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"POST /wechat/work?msg_signature=x&timestamp=1&nonce=1 HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 50000\r\n\r\n" + b"<xml>" * 20
        )
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()
        for _ in range(50):
            if any("upload aborted" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
    aborted = [r for r in caplog.records if "upload aborted" in r.getMessage()]
    assert len(aborted) == 1 and aborted[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING], caplog.text
    assert await _healthz(host, port) == 200
