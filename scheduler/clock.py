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

    ``hold_at`` stops time at a moment until released. At 150,000x a millisecond of real latency is
    two and a half virtual minutes, so without it a push due at 08:20 and useless after 09:00 would
    go out or expire by chance; the plan runner holds the clock at the next push until that push
    has been fired and sent, and time then runs on from there.
    """

    def __init__(self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = to_local(start)
        self.speed = speed
        self._monotonic = monotonic
        self._origin: float | None = None
        self._hold: datetime | None = None

    def now(self) -> datetime:
        reading = self._monotonic()
        if self._origin is None:
            self._origin = reading
        moment = self.start + timedelta(seconds=(reading - self._origin) * self.speed)
        if self._hold is not None and moment > self._hold:
            # Re-anchor at the hold, so that on release time runs on from it instead of jumping.
            self.start, self._origin = self._hold, reading
            return self._hold
        return moment

    def peek(self) -> datetime:
        """What ``now`` would read, without starting the clock or re-anchoring it.

        For onlookers (log lines, /healthz): were they to call ``now``, the first log line of a
        slow start-up would start the campaign's time early.
        """
        if self._origin is None:
            return self.start
        moment = self.start + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)
        return moment if self._hold is None else min(moment, self._hold)

    def jump_to(self, moment: datetime) -> datetime:
        """Read ``moment`` from now on and run on from it (never back in time): a rehearsal's
        "skip to the next push". A hold is kept, so time cannot jump past a push still to fire."""
        reading = self._monotonic()
        target = max(to_local(moment), self.now())
        if self._hold is not None:
            target = min(target, self._hold)  # a hold is never earlier than now
        self.start, self._origin = target, reading
        return target

    def hold_at(self, moment: datetime | None) -> None:
        """Never read later than ``moment`` (not earlier than now: time does not go back); None releases."""
        self._hold = None if moment is None else max(to_local(moment), self.now())


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
