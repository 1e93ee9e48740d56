"""Log lines carry the campaign's time, marked [virtual] on a rehearsal clock, without moving it."""

from __future__ import annotations

import io
import logging
from datetime import datetime

from bot.logs import campaign_log_handler
from scheduler.clock import TZ, SystemClock, VirtualClock

START = datetime(2026, 4, 20, 20, 0, tzinfo=TZ)


def _logged(clock: object, text: str) -> str:
    stream = io.StringIO()
    logger = logging.getLogger("tests.campaign_time")
    handler = campaign_log_handler(clock, stream)  # type: ignore[arg-type]
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.INFO
    try:
        logger.info(text)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_line_on_a_virtual_clock_carries_the_virtual_time_and_does_not_start_it() -> None:
    real = [1000.0]
    clock = VirtualClock(START, speed=3000, monotonic=lambda: real[0])
    real[0] += 5  # start-up takes a while before anything reads the campaign's time
    assert _logged(clock, "sandbox up") == "2026-04-20 20:00:00+08:00 [virtual] INFO tests.campaign_time: sandbox up\n"
    assert clock.now() == START  # the log line did not start the clock
    real[0] += 1.2
    assert _logged(clock, "later").startswith("2026-04-20 21:00:00+08:00 [virtual] INFO")


def test_a_line_on_the_system_clock_has_no_tag() -> None:
    line = _logged(SystemClock(), "hello")
    assert "[virtual]" not in line
    stamp = datetime.fromisoformat(line.split(" INFO ", 1)[0])
    assert abs((stamp - datetime.now(TZ)).total_seconds()) < 3600 and stamp.utcoffset() == START.utcoffset()


async def test_a_request_aiohttp_cannot_parse_is_one_info_line_not_a_traceback() -> None:
    import asyncio

    from aiohttp import web

    from bot.logs import ClientErrorsInOneLine

    stream = io.StringIO()
    server_log = logging.getLogger("aiohttp.server")
    handler = campaign_log_handler(SystemClock(), stream)
    one_line = ClientErrorsInOneLine()
    server_log.addHandler(handler)
    server_log.addFilter(one_line)
    runner = web.AppRunner(web.Application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=\x01\x11\r\n\r\n")
        await writer.drain()
        answer = await reader.read(100)
        writer.close()
    finally:
        await runner.cleanup()
        server_log.removeHandler(handler)
        server_log.removeFilter(one_line)
    assert b" 400 Bad Request" in answer.split(b"\r\n")[0]
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and " INFO aiohttp.server: refused a malformed request" in lines[0]
