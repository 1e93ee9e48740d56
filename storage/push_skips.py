"""Planned pushes the contact person stopped on the desk (推送计划 → 不发送).

A row per skipped plan key (PlannedPush.key): the executor consults it just before firing, so a
skipped push is never sent, across restarts too. Re-enabling deletes the row; a push that was
skipped when its time came stays unsent (its moment passed), which the desk shows.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, select

from storage.models import local_datetime_column
from storage.outbox import insert_new


class SkippedPush(SQLModel, table=True):
    key: str = Field(primary_key=True)  # PlannedPush.key, e.g. "report_nudge:2026-04-21"
    skipped_by: str  # audit actor, e.g. "web:wecom:tianlin"
    skipped_at: datetime = local_datetime_column(nullable=False)


def skip_push(session: Session, key: str, actor: str, now: datetime) -> bool:
    """Mark the push skipped; False when it already was."""
    return insert_new(session, SkippedPush, {"key": key, "skipped_by": actor, "skipped_at": now}, ["key"])


def unskip_push(session: Session, key: str) -> bool:
    """Let the push go out again; False when it was not skipped."""
    row = session.get(SkippedPush, key)
    if row is None:
        return False
    session.delete(row)
    return True


def is_skipped(session: Session, key: str) -> bool:
    return session.get(SkippedPush, key) is not None


def skipped_pushes(session: Session) -> dict[str, SkippedPush]:
    return {row.key: row for row in session.exec(select(SkippedPush)).all()}
