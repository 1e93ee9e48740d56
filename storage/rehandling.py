"""The background re-handler's bookkeeping (bot.workers.rehandler): one row per inbound message it has
tried to handle again, counting attempts so a message whose handling keeps failing is retried with
backoff and then left as failed, for the contact person to see, instead of being retried forever.

An inbound message is unhandled while its ``handled_at`` is empty; this table never decides that,
it only paces the retries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Column, Text, and_, or_
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import InboundMessage, local_datetime_column
from storage.outbox import insert_new

MAX_ERROR_CHARS = 500


class InboundRetry(SQLModel, table=True):
    message_id: int = Field(primary_key=True, foreign_key="inboundmessage.id")
    attempts: int = 0  # failed re-handling attempts
    next_attempt_at: datetime = local_datetime_column(nullable=False)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the last failure
    failed_at: datetime | None = local_datetime_column(nullable=True)  # gave up: shown on the desk


def due_unhandled(session: Session, now: datetime, grace: timedelta, limit: int) -> list[InboundMessage]:
    """Unhandled messages received more than ``grace`` ago whose next attempt is due, oldest first."""
    return list(
        session.exec(
            select(InboundMessage)
            .outerjoin(InboundRetry, col(InboundRetry.message_id) == col(InboundMessage.id))
            .where(
                col(InboundMessage.handled_at).is_(None),
                col(InboundMessage.received_at) <= now - grace,
                or_(
                    col(InboundRetry.message_id).is_(None),
                    and_(col(InboundRetry.failed_at).is_(None), col(InboundRetry.next_attempt_at) <= now),
                ),
            )
            .order_by(col(InboundMessage.id))
            .limit(limit)
        ).all()
    )


def record_failed_attempt(
    session: Session, message_id: int, error: str, now: datetime, retry_delay: Callable[[int], timedelta | None]
) -> InboundRetry:
    """Count a failed attempt and set the next one ``retry_delay(attempts)`` from now, or give up
    when that is None. The row is inserted if missing (without conflict) and locked before it is
    counted, so two processes re-handling at once cannot lose a count."""
    insert_new(session, InboundRetry, {"message_id": message_id, "attempts": 0, "next_attempt_at": now}, ["message_id"])
    retry = session.exec(select(InboundRetry).where(InboundRetry.message_id == message_id).with_for_update()).one()
    retry.attempts += 1
    retry.error = error[:MAX_ERROR_CHARS]
    delay = retry_delay(retry.attempts)
    retry.next_attempt_at = now + (delay or timedelta(0))
    retry.failed_at = now if delay is None else None
    session.add(retry)
    return retry


def given_up(session: Session, limit: int) -> list[tuple[InboundMessage, InboundRetry]]:
    """Messages the re-handler gave up on and nothing has handled since, latest first."""
    rows = session.exec(
        select(InboundMessage, InboundRetry)
        .join(InboundRetry, col(InboundRetry.message_id) == col(InboundMessage.id))
        .where(col(InboundRetry.failed_at).is_not(None), col(InboundMessage.handled_at).is_(None))
        .order_by(col(InboundRetry.failed_at).desc(), col(InboundMessage.id).desc())
        .limit(limit)
    ).all()
    return [(message, retry) for message, retry in rows]
