"""The one source of "now".

Every component receives a Clock instead of calling ``datetime.now()``: production uses
SystemClock, tests and the demo use ManualClock so a whole campaign can run in seconds.
All times are aware and in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def to_local(moment: datetime) -> datetime:
    """Return an aware datetime in Asia/Shanghai; naive input is taken as already local."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(TZ)


class ManualClock:
    """A clock that moves only when told to (tests, demo, virtual-time runs)."""

    def __init__(self, start: datetime) -> None:
        self._now = to_local(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = to_local(moment)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now
