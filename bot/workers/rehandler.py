"""Re-handling inbound messages that are stored but still unhandled after WeChat's retries.

The webhook answers 503 when handling fails, so WeChat retries (three times within about 15 s) and
a retry handles the stored row. If every retry fails too (a fault that lasts longer: a full disk,
a handler bug fixed by a restart), this worker, at start and every minute, handles each message
still unhandled ``grace`` after it arrived, through the same pipeline a retry takes, and pushes the
reply through the outbox (the sender's WeChat window is gone by then). Each failed attempt is
counted (storage.rehandling) and retried with backoff (storage.retry_schedule); after the last
attempt the message is left as failed: logged once at ERROR, listed on the desk's failures page
and the sender is told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from bot.channels.wire import plaintext_fields, to_inbound
from bot.pipeline.group_commit import MessagePipeline
from handlers.inbound import Inbound
from handlers.router import Reply
from scheduler.clock import Clock, VirtualClock
from scheduler.push_texts import moment_label
from storage.db import Database
from storage.models import InboundMessage
from storage.outbox import put
from storage.rehandling import due_unhandled, record_failed_attempt
from storage.retry_schedule import RetrySchedule
from storage.wording import clip

log = logging.getLogger(__name__)


class RehandlePush(StrEnum):
    """Outbox kinds of what the re-handler sends."""

    REPLY = "rehandled_reply"
    GAVE_UP = "rehandle_failed"


# 5, 10, 20, 40 minutes between the five attempts, then left as failed.
REHANDLE_RETRY = RetrySchedule(timedelta(minutes=5), timedelta(hours=1), max_attempts=5)


@dataclass(frozen=True)
class RehandlePolicy:
    grace: timedelta = timedelta(minutes=2)  # WeChat's own retries come first; never race them
    every: timedelta = timedelta(minutes=1)  # how often to look (on the injected clock)
    retry: RetrySchedule = REHANDLE_RETRY
    batch: int = 50


def stored_inbound(row: InboundMessage) -> Inbound:
    """The message as its channel decoded it, read again from the stored plaintext (XML, or JSON
    from an Official Account in JSON mode), under the stored dedupe key."""
    raw = row.raw_xml
    return replace(to_inbound(row.channel, plaintext_fields(raw), raw), dedupe_key=row.dedupe_key)


def poll_seconds(clock: Clock, every: timedelta) -> float:
    """Real seconds between looks: ``every`` on the injected clock (faster on virtual time)."""
    speed = clock.speed if isinstance(clock, VirtualClock) else 1.0
    return max(0.01, every.total_seconds() / speed)


class Rehandler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        pipeline: MessagePipeline,
        wake_sender: Callable[[], None],
        policy: RehandlePolicy = RehandlePolicy(),
    ) -> None:
        self.db, self.clock, self.pipeline, self.policy = db, clock, pipeline, policy
        self.wake_sender = wake_sender

    async def run(self, stop: asyncio.Event) -> None:
        """Look at start, then every ``policy.every``, until ``stop`` is set."""
        interval = poll_seconds(self.clock, self.policy.every)
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("re-handling pass failed; trying again at the next one")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def run_once(self) -> int:
        """Try every due message once; returns how many were handled now."""
        now = self.clock.now()
        due = await self.db.read(lambda session: due_unhandled(session, now, self.policy.grace, self.policy.batch))
        handled = 0
        for row in due:
            handled += await self._rehandle(row, now)
        if due:
            self.wake_sender()
        return handled

    async def _rehandle(self, row: InboundMessage, now: datetime) -> bool:
        done: list[int] = []

        def push_reply(session: Session, message_id: int, reply: Reply) -> None:
            # In the handling's transaction: the reply is queued exactly when the message is handled.
            done.append(message_id)
            if reply:
                text = f"您{moment_label(row.received_at)}发送的消息刚才没能及时处理，现已处理：\n{reply}"
                _tell_sender(session, row, f"rehandle:{message_id}", RehandlePush.REPLY, clip(text), now)

        try:
            # A retry racing us (or another process) may have handled it meanwhile: then the
            # pipeline returns the stored reply without handling, push_reply is not called, and
            # the sender already has the reply in WeChat's answer.
            await self.pipeline.process(stored_inbound(row), on_handled=push_reply)
        except Exception as exc:  # HandlingFailed (logged by the pipeline), or a row that no longer reads
            error = str(exc) or type(exc).__name__
            await self.db.run(lambda session: self._count_failure(session, row, error, now))
            return False
        return bool(done)

    def _count_failure(self, session: Session, row: InboundMessage, error: str, now: datetime) -> None:
        assert row.id is not None
        retry = record_failed_attempt(session, row.id, error, now, self.policy.retry.delay_after)
        if retry.failed_at is None:
            return
        log.error(
            "inbound message %s (%s from %s) still unhandled after %d attempts, giving up: %s; "
            "listed on the desk's failures page",
            row.id,
            row.dedupe_key,
            row.user_id,
            retry.attempts,
            error,
        )
        text = (
            f"抱歉，您{moment_label(row.received_at)}发送的消息多次尝试仍未能处理，"
            "联系人已能在后台看到。请稍后重新发送一次。"
        )
        _tell_sender(session, row, f"rehandle:{row.id}:gave-up", RehandlePush.GAVE_UP, text, now)


def _tell_sender(session: Session, row: InboundMessage, key: str, kind: RehandlePush, text: str, now: datetime) -> None:
    """Queue ``text`` to whoever sent ``row``, on the channel it came from."""
    put(session, key=key, kind=kind, channel=row.channel, recipient=row.user_id, text=text, now=now)
