"""The webhook bench's load generator (bench/webhook_load.py): a plain keep-alive HTTP client, so
the figures it prints rest on it reading every answer whole, in its request's place, and on it
stopping loudly at an answer that is not a 200."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_load", BENCH / "webhook_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


webhook_load = _load_module()
Answer = Callable[[bytes, bytes, asyncio.StreamWriter], Awaitable[None]]


async def _serve(answer: Answer) -> AsyncIterator[str]:
    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"Content-Length: (\d+)", head)
                assert length is not None
                await answer(head, await reader.readexactly(int(length.group(1))), writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/callback"


@pytest.fixture
async def split_answers() -> AsyncIterator[str]:
    """Answers each request with its query and body, head and body in separate writes."""

    async def answer(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        target = head.split(b" ", 2)[1]
        said = target + b"|" + body
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(said))
        await writer.drain()
        await asyncio.sleep(0.001)
        writer.write(said[:3])
        await writer.drain()
        await asyncio.sleep(0.001)
        writer.write(said[3:])

    async for url in _serve(answer):
        yield url


async def test_every_answer_read_whole_in_its_requests_place(split_answers: str) -> None:
    requests = [({"n": str(i), "nonce": f"x{i}"}, f"<xml>{i}</xml>".encode()) for i in range(40)]

    elapsed, latencies, answers = await webhook_load._load(split_answers, requests, 3)

    assert answers == [f"/callback?n={i}&nonce=x{i}|<xml>{i}</xml>" for i in range(40)]
    assert len(latencies) == 40 and all(latency > 0 for latency in latencies)
    assert elapsed >= max(latencies)


def _refusing(status: bytes) -> Answer:
    """Answers every request with ``status`` (e.g. b"500 Internal Server Error") and no body."""

    async def refuse(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 %s\r\nContent-Length: 0\r\n\r\n" % status)

    return refuse


async def test_an_answer_not_200_stops_the_load() -> None:
    async for url in _serve(_refusing(b"500 Internal Server Error")):
        with pytest.raises(RuntimeError, match="not 200"):
            await webhook_load._load(url, [({"n": "1"}, b"<xml/>")], 1)


async def test_a_connection_closed_before_its_answer_stops_the_load() -> None:
    async def hang_up(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
        writer.close()

    async for url in _serve(hang_up):
        with pytest.raises(RuntimeError, match="connection lost awaiting answer 0"):
            await webhook_load._load(url, [({"n": "1"}, b"<xml/>")], 1)


async def test_a_failed_load_is_reported_to_the_bench_not_waited_for() -> None:
    """The load runs in a process of its own; the bench waits for its figures on a queue, so a
    load that fails must say so there (it used to leave the bench waiting for ever)."""
    async for url in _serve(_refusing(b"503 Service Unavailable")):
        with pytest.raises(RuntimeError, match="the load failed: RuntimeError: answer not 200"):
            await asyncio.wait_for(webhook_load.run_load(url, [({"n": "1"}, b"<xml/>")], 1), 60)
