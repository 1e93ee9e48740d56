"""Log lines carry the campaign's time: the injected Clock's, marked [virtual] when rehearsing.

On a rehearsal (WEEKBOT_CLOCK=virtual:…) the wall clock says nothing about which push a line
belongs to; the campaign time does. One line per event:
``2026-04-20 20:00:00+08:00 [virtual] INFO scheduler.executor: …``.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from typing import TextIO

from aiohttp.http_exceptions import HttpProcessingError

from scheduler.clock import Clock, SystemClock, VirtualClock

LINE_FORMAT = "%(campaign_time)s %(levelname)s %(name)s: %(message)s"


def campaign_time(clock: Clock) -> str:
    """The clock's time to the second, tagged unless it is the wall clock; never moves the clock."""
    if isinstance(clock, SystemClock):
        return _seconds(clock.now())
    moment = clock.peek() if isinstance(clock, VirtualClock) else clock.now()
    return f"{_seconds(moment)} [virtual]"


def _seconds(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat(sep=" ")


class CampaignTime(logging.Filter):
    """Adds ``campaign_time`` to every record a handler emits (a handler's filter sees them all,
    those propagated from other loggers too, unlike a logger's)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        record.campaign_time = campaign_time(self.clock)
        return True


class ClientErrorsInOneLine(logging.Filter):
    """aiohttp's server logs a request it cannot parse (a control character in a header, a broken
    request line) at ERROR with a traceback, before the app sees it; it has already answered 400.
    What a client sends is worth one INFO line, never a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            said = " ".join(str(error.message or error).split())  # aiohttp's message spans lines
            record.msg, record.args = "refused a malformed request: %s", (said,)
            record.exc_info = record.exc_text = None
        return True


def campaign_log_handler(clock: Clock, stream: TextIO) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(CampaignTime(clock))
    handler.setFormatter(logging.Formatter(LINE_FORMAT))
    return handler


def install_logging(clock: Clock, level: int = logging.INFO) -> None:
    """The process's logging: one line per event on stderr, with the campaign time."""
    logging.basicConfig(level=level, handlers=[campaign_log_handler(clock, sys.stderr)])
    logging.getLogger("aiohttp.server").addFilter(ClientErrorsInOneLine())
