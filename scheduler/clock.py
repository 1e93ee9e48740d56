"""The one source of "now".

Every component receives a Clock instead of calling ``datetime.now()``: production uses
SystemClock, tests and the demo use ManualClock so a whole campaign can run in seconds.
All times are aware and in Asia/Shanghai.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

# The campaign's zone and the conversion to it are defined with the column type that stores times.
from storage.types import TZ, to_local

__all__ = ["TZ", "Clock", "ManualClock", "SystemClock", "VirtualClock", "clock_from_spec", "to_local"]


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


class VirtualClock:
    """Time that reads ``start`` when first read, then runs ``speed`` times faster than real time.

    Lets a real ``weekbot serve`` process live through a whole campaign in seconds (the restart
    test, rehearsals). Chosen with WEEKBOT_CLOCK=virtual:<ISO start>:<speed>. Time starts at the
    first reading, not at construction, so a slow start-up does not skip hours of the campaign.
    """

    def __init__(self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = to_local(start)
        self.speed = speed
        self._monotonic = monotonic
        self._origin: float | None = None

    def now(self) -> datetime:
        if self._origin is None:
            self._origin = self._monotonic()
        return self.start + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)


def clock_from_spec(spec: str) -> Clock:
    """ "" or "system": the real clock; "virtual:<ISO start>:<speed>": a VirtualClock."""
    if spec in ("", "system"):
        return SystemClock()
    kind, _, rest = spec.partition(":")
    start, _, speed = rest.rpartition(":")
    if kind != "virtual" or not start or not speed:
        raise ValueError(f"clock {spec!r}: expected 'system' or 'virtual:<ISO start>:<speed>'")
    try:
        return VirtualClock(datetime.fromisoformat(start), float(speed))
    except ValueError as exc:
        raise ValueError(f"clock {spec!r}: {exc}") from None
