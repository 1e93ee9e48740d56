"""When to try again work whose next attempt is a time in the database (an outbox row's
``next_attempt_at``, a job's ``run_after``, an inbound message's retry row), so it survives
restarts and any process may pick it up. Every such queue backs off by this one formula: the
outbox sender, the media worker and the re-handler each hold a RetrySchedule with their own numbers.

In-process retries of one HTTP call (seconds, within a request) are tenacity's, in
bot.wechat_api.transport.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetrySchedule:
    first: timedelta  # the wait after the first failed attempt; it doubles after each further one
    cap: timedelta  # ... up to this
    max_attempts: int  # attempts in all, the first included; then give up

    def delay_after(self, attempts: int) -> timedelta | None:
        """How long after failed attempt number ``attempts`` (1 = the first) to try again; None:
        that was the last attempt.

        >>> schedule = RetrySchedule(timedelta(minutes=5), timedelta(minutes=30), max_attempts=5)
        >>> [str(schedule.delay_after(n)) for n in range(1, 6)]
        ['0:05:00', '0:10:00', '0:20:00', '0:30:00', 'None']
        """
        if attempts >= self.max_attempts:
            return None
        return min(self.cap, self.first * 2 ** max(0, attempts - 1))
