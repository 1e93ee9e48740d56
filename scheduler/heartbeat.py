"""A loop's sign of life: when it last went round (read by /healthz, see bot.web.health).

Counted on the monotonic clock, not the campaign's Clock: whether a loop is stuck is a matter of
real seconds, and a virtual clock runs thousands of times faster (or stands still while held).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Heartbeat:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        # Counted from creation: a loop that never goes round at all goes stale too.
        self._last = monotonic()

    def beat(self) -> None:
        self._last = self._monotonic()

    def silent_for(self) -> float:
        """Real seconds since the last beat."""
        return self._monotonic() - self._last
