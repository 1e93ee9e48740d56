"""The outbox sender: delivers queued rows through the WeCom and Official Account clients.

WeCom rows with the same text (or image) go out together, up to 1000 userids a call. WeCom
silently drops what a member receives beyond 30 messages a minute or 1000 an hour, so rows that
would exceed either are deferred, never sent into the void. A row is leased (attempts + 1,
next try pushed out) before its call, so a crash mid-call retries it once the lease lapses
rather than losing it. Transient failures retry with exponential backoff; every row ends
``sent``, ``failed`` (with WeChat's errcode) or ``expired`` (past ``not_after``: never sent late).

Official Account: a customer-service message while the user wrote to us in the last 48 hours,
otherwise the configured template message; with no template the row fails as unreachable
(errcode 45015) and the next digest names the person.

Group robot (群机器人): one message a row (markdown, or the collage as an image), at most
``robot_per_minute`` a minute per robot, counted from the sent rows like WeCom's member limit;
its 45009 (rate limited) is retried like any frequency limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.clock import Clock
from scheduler.delivery import (
    ALL_RECIPIENTS_INVALID,
    FREQUENCY_LIMITED,
    GROUP_ROBOT,
    OUTSIDE_SERVICE_WINDOW,
    SYSTEM_BUSY,
    DeliveryError,
    GroupRobotSending,
    OfficialAccountSending,
    WeComSending,
)
from scheduler.heartbeat import Heartbeat
from scheduler.rate_limits import within_rate_limits
from storage.cards import keep_response_code
from storage.db import Database
from storage.leases import claim_due
from storage.models import ChannelKind, Liaison
from storage.outbox import OutboxMessage, OutboxStatus
from storage.retry_schedule import RetrySchedule

log = logging.getLogger(__name__)

# Transient failures: 1, 2, 4, 8 minutes between the five attempts, then the row fails.
SEND_RETRY = RetrySchedule(timedelta(minutes=1), timedelta(minutes=30), max_attempts=5)


@dataclass(frozen=True)
class SenderPolicy:
    per_minute: int = 30  # WeCom: messages one member may receive from the app per minute
    per_hour: int = 1000  # ... and per hour
    robot_per_minute: int = 20  # WeCom group robot: messages per robot per minute
    batch_size: int = 1000  # userids per message/send call
    retry: RetrySchedule = SEND_RETRY
    lease: timedelta = timedelta(minutes=2)
    service_window: timedelta = timedelta(hours=48)  # Official Account customer-service messages
    claim_limit: int = 5000
    # WeCom's own duplicate check (identical text, same member, within this window): a resend
    # after a crash between the API call and the row's update is dropped by WeCom.
    duplicate_check_seconds: int = 1800


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    recipient: str
    text: str
    image: str | None
    attempts: int
    last_seen_at: datetime | None  # Official Account users: when they last wrote to us
    extra: dict[str, Any] = field(default_factory=dict)  # a card, or a card update (see _send_wecom)


class Result(StrEnum):
    """What one delivery attempt came to; SENT and FAILED are final (the row's OutboxStatus)."""

    SENT = OutboxStatus.SENT.value
    FAILED = OutboxStatus.FAILED.value
    RETRY = "retry"  # the row stays pending until its next attempt


@dataclass(frozen=True)
class Outcome:
    row_id: int
    status: Result
    errcode: int | None = None
    error: str | None = None
    via: str | None = None  # mp: custom | template
    card_task: str | None = None  # a card was sent: its task_id ...
    response_code: str | None = None  # ... and the ResponseCode WeCom issued for it
    retry_in: timedelta | None = None  # status retry: when, from now


class OutboxSender:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        wecom: WeComSending | None,
        mp: OfficialAccountSending | None,
        template_id: str = "",
        policy: SenderPolicy = SenderPolicy(),
        group_robot: GroupRobotSending | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.wecom = wecom
        self.mp = mp
        self.group_robot = group_robot
        self.template_id = template_id
        self.policy = policy
        self._wake = asyncio.Event()
        # One drain at a time in this process: a claim's lease is counted on the injected clock,
        # which on fast virtual time can lapse while the first drain still waits on the API.
        self._draining = asyncio.Lock()
        self.heartbeat = Heartbeat()

    def wake(self) -> None:
        """Something was queued: drain now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Drain until ``stop`` is set, waking every ``interval`` seconds or when woken."""
        while not stop.is_set():
            self.heartbeat.beat()
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed; trying again at the next poll")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()

    async def drain(self) -> int:
        """Send every row that is due now; returns how many rows were attempted."""
        async with self._draining:
            now = self.clock.now()
            claimed = await self.db.run(lambda session: self._claim(session, now))
            if not claimed:
                return 0
            outcomes = await self._send_wecom([row for row in claimed if row.channel == ChannelKind.WECOM], now)
            outcomes += await self._send_mp([row for row in claimed if row.channel == ChannelKind.MP], now)
            outcomes += await self._send_group_robot([row for row in claimed if row.channel == GROUP_ROBOT])
            await self.db.run(lambda session: self._record(session, outcomes, now))
            return len(claimed)

    async def drain_due(self) -> int:
        """Drain until nothing is due at this moment (more rows than one claim holds, say)."""
        total = 0
        while attempted := await self.drain():
            total += attempted
        return total

    # ---- claiming ----

    def _claim(self, session: Session, now: datetime) -> list[Claimed]:
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status) == OutboxStatus.PENDING,
                col(OutboxMessage.not_after).is_not(None),
                col(OutboxMessage.not_after) <= now,
            )
            .values(status=OutboxStatus.EXPIRED, finished_at=now, error="too late to be useful")
        )
        leased = claim_due(
            session,
            OutboxMessage,
            due=(col(OutboxMessage.status) == OutboxStatus.PENDING) & (col(OutboxMessage.next_attempt_at) <= now),
            order_by=(col(OutboxMessage.id),),
            limit=self.policy.claim_limit,
            lease={"next_attempt_at": now + self.policy.lease},
            choose=lambda rows: self._within_rate_limits(session, rows, now),
        )
        last_seen = self._mp_last_seen(session, {r.recipient for r in leased if r.channel == ChannelKind.MP})
        return [
            Claimed(
                id=row.id or 0,
                channel=row.channel,
                recipient=row.recipient,
                text=row.text,
                image=row.extra.get("image"),
                attempts=row.attempts,
                last_seen_at=last_seen.get(row.recipient),
                extra=row.extra,
            )
            for row in leased
        ]

    def _within_rate_limits(self, session: Session, rows: list[OutboxMessage], now: datetime) -> list[OutboxMessage]:
        """The rows that may go now; rows over a WeCom member's or a group robot's limits are put off
        until they may."""
        limits: dict[str, tuple[int, int | None]] = {
            ChannelKind.WECOM: (self.policy.per_minute, self.policy.per_hour),
            GROUP_ROBOT: (self.policy.robot_per_minute, None),
        }
        return within_rate_limits(session, rows, limits, now)

    @staticmethod
    def _mp_last_seen(session: Session, openids: set[str]) -> dict[str, datetime]:
        if not openids:
            return {}
        rows = session.exec(
            select(Liaison).where(Liaison.channel == ChannelKind.MP, col(Liaison.user_id).in_(openids))
        ).all()
        return {row.user_id: row.last_seen_at for row in rows if row.last_seen_at is not None}

    # ---- sending ----

    async def _send_wecom(self, rows: list[Claimed], now: datetime) -> list[Outcome]:
        if not rows:
            return []
        if self.wecom is None:
            return [Outcome(row.id, Result.FAILED, None, "WeCom is not enabled") for row in rows]
        groups: defaultdict[tuple[str, str | None], list[Claimed]] = defaultdict(list)
        outcomes: list[Outcome] = []
        for row in rows:
            # A card is one member's (its task_id and ResponseCode are theirs): sent one by one.
            if "card" in row.extra:
                outcomes.append(await self._wecom_card(row))
            elif "card_update" in row.extra:
                outcomes.append(await self._wecom_card_update(row))
            else:
                groups[(row.text, row.image)].append(row)
        for (text, image), members in groups.items():
            for start in range(0, len(members), self.policy.batch_size):
                outcomes += await self._wecom_batch(members[start : start + self.policy.batch_size], text, image)
        return outcomes

    async def _wecom_batch(self, batch: list[Claimed], text: str, image: str | None) -> list[Outcome]:
        assert self.wecom is not None
        users = [row.recipient for row in batch]
        try:
            if image is None:
                result = await self.wecom.send_text(
                    users, text, duplicate_check_seconds=self.policy.duplicate_check_seconds
                )
            else:
                media_id = await self.wecom.upload_image(Path(image).read_bytes(), Path(image).name)
                result = await self.wecom.send_image(users, media_id)
        except DeliveryError as exc:
            return [self._after_error(row, exc) for row in batch]
        except OSError as exc:  # the collage file is gone: nothing to retry
            return [Outcome(row.id, Result.FAILED, None, f"image unreadable: {exc}") for row in batch]
        invalid = set(result.invalid_users)
        return [
            Outcome(row.id, Result.FAILED, ALL_RECIPIENTS_INVALID, "invaliduser: not a member of the app")
            if row.recipient in invalid
            else Outcome(row.id, Result.SENT)
            for row in batch
        ]

    async def _wecom_card(self, row: Claimed) -> Outcome:
        assert self.wecom is not None
        card = row.extra["card"]
        try:
            sent = await self.wecom.send_template_card(row.recipient, card)
        except DeliveryError as exc:
            return self._after_error(row, exc)
        if row.recipient in sent.invalid_users:
            return Outcome(row.id, Result.FAILED, ALL_RECIPIENTS_INVALID, "invaliduser: not a member of the app")
        return Outcome(row.id, Result.SENT, card_task=str(card.get("task_id")), response_code=sent.response_code)

    async def _wecom_card_update(self, row: Claimed) -> Outcome:
        assert self.wecom is not None
        update = row.extra["card_update"]
        try:
            await self.wecom.update_template_card([row.recipient], update["response_code"], update["replace_name"])
        except DeliveryError as exc:
            return self._after_error(row, exc)
        return Outcome(row.id, Result.SENT)

    async def _send_mp(self, rows: list[Claimed], now: datetime) -> list[Outcome]:
        outcomes = []
        for row in rows:
            if self.mp is None:
                outcomes.append(Outcome(row.id, Result.FAILED, None, "Official Account is not enabled"))
            elif row.image is not None:
                outcomes.append(Outcome(row.id, Result.FAILED, None, "images are not sent on the Official Account"))
            else:
                outcomes.append(await self._mp_one(row, now))
        return outcomes

    async def _mp_one(self, row: Claimed, now: datetime) -> Outcome:
        assert self.mp is not None
        if row.last_seen_at is not None and now - row.last_seen_at < self.policy.service_window:
            try:
                await self.mp.send_custom_text(row.recipient, row.text)
                return Outcome(row.id, Result.SENT, via="custom")
            except DeliveryError as exc:
                # Our record of the window can be a little off from WeChat's: fall back below.
                if exc.errcode != OUTSIDE_SERVICE_WINDOW:
                    return self._after_error(row, exc)
        if not self.template_id:
            return Outcome(
                row.id,
                Result.FAILED,
                OUTSIDE_SERVICE_WINDOW,
                "unreachable: no message in 48 h and no template configured",
            )
        try:
            await self.mp.send_template(row.recipient, self.template_id, {"content": row.text})
        except DeliveryError as exc:
            return self._after_error(row, exc)
        return Outcome(row.id, Result.SENT, via="template")

    async def _send_group_robot(self, rows: list[Claimed]) -> list[Outcome]:
        outcomes = []
        for row in rows:
            if self.group_robot is None:
                outcomes.append(Outcome(row.id, Result.FAILED, None, "the group robot is not configured"))
            elif row.recipient != self.group_robot.robot_id:
                # Queued for a robot whose key has since been replaced: that group is not this one.
                outcomes.append(Outcome(row.id, Result.FAILED, None, "queued for another group robot (key changed)"))
            else:
                outcomes.append(await self._robot_one(self.group_robot, row))
        return outcomes

    async def _robot_one(self, robot: GroupRobotSending, row: Claimed) -> Outcome:
        try:
            if row.image is None:
                await robot.send_markdown(row.text)
            else:
                await robot.send_image(Path(row.image).read_bytes())
        except DeliveryError as exc:
            return self._after_error(row, exc)
        except OSError as exc:  # the collage file is gone: nothing to retry
            return Outcome(row.id, Result.FAILED, None, f"image unreadable: {exc}")
        return Outcome(row.id, Result.SENT)

    def _after_error(self, row: Claimed, exc: DeliveryError) -> Outcome:
        transient = exc.retried or exc.errcode in (SYSTEM_BUSY, FREQUENCY_LIMITED)
        retry_in = self.policy.retry.delay_after(row.attempts) if transient else None
        if retry_in is None:
            return Outcome(row.id, Result.FAILED, exc.errcode, str(exc)[:500])
        return Outcome(row.id, Result.RETRY, exc.errcode, str(exc)[:500], retry_in=retry_in)

    # ---- recording ----

    def _record(self, session: Session, outcomes: list[Outcome], now: datetime) -> None:
        for outcome in outcomes:
            row = session.get(OutboxMessage, outcome.row_id)
            if row is None:
                continue
            row.errcode, row.error = outcome.errcode, outcome.error
            if outcome.retry_in is not None:
                row.next_attempt_at = now + outcome.retry_in
                log.warning("outbox %s: retry %d later: %s", row.key, row.attempts, outcome.error)
            else:
                row.status, row.finished_at = OutboxStatus(outcome.status), now
                if outcome.status == Result.SENT:
                    row.sent_at, row.errcode = now, 0
                else:
                    log.warning("outbox %s failed: %s", row.key, outcome.error)
            if outcome.via:
                row.extra = {**row.extra, "via": outcome.via}
            if outcome.card_task and outcome.response_code:
                keep_response_code(session, outcome.card_task, outcome.response_code, now)
            session.add(row)
