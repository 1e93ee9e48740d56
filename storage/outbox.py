"""Every push is an outbox row first. The unique idempotency key (kind + recipient + campaign
day, or whatever identifies "this message to this person once") means restarts and duplicate
triggers cannot send twice: the second insert is a no-op."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, Session, SQLModel

from storage.engine import insert_ignoring_conflicts, table_of
from storage.models import local_datetime_column


class OutboxStatus(StrEnum):
    """``OutboxMessage.status``."""

    PENDING = "pending"  # waiting for its time or its next attempt
    SENT = "sent"
    FAILED = "failed"  # given up: the platform refused it for good, or retries ran out
    EXPIRED = "expired"  # too late to be useful when the sender got to it


class OutboxMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str = Field(index=True)
    channel: str  # wecom | mp
    recipient: str = Field(index=True)  # userid / openid
    text: str = Field(sa_column=Column(Text, nullable=False))
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, index=True)  # an OutboxStatus
    attempts: int = 0
    next_attempt_at: datetime = local_datetime_column(nullable=False)
    not_after: datetime | None = local_datetime_column(nullable=True)  # too late to be useful after this
    errcode: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = local_datetime_column(nullable=False)
    sent_at: datetime | None = local_datetime_column(nullable=True)
    # When the row reached sent, failed or expired: the digest lists failures since the last one.
    finished_at: datetime | None = local_datetime_column(nullable=True)


def insert_new(session: Session, table: type[SQLModel], values: Mapping[str, Any], unique: list[str]) -> bool:
    """INSERT unless a row with the same ``unique`` columns exists; True when a row was written.

    One statement (see storage.engine.insert_ignoring_conflicts), so racing writers cannot both win.
    """
    stmt = insert_ignoring_conflicts(session.get_bind().dialect.name, table_of(table), unique).values(**values)
    return session.execute(stmt).first() is not None


def put(
    session: Session,
    *,
    key: str,
    kind: str,
    channel: str,
    recipient: str,
    text: str,
    now: datetime,
    not_after: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Queue a message unless one with this key exists; True when a new row was written."""
    values = {
        "key": key,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "text": text,
        "extra": extra or {},
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "not_after": not_after,
        "created_at": now,
    }
    return insert_new(session, OutboxMessage, values, ["key"])
