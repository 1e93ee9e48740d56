"""Which daily backups were made: one row per campaign day, claimed before the backup starts.

The day is the primary key, so when two processes share the data (two `serve`s on one
PostgreSQL database, or `serve` and a rehearsal on one SQLite file) only the one whose insert
wins makes that day's archive; the other sees the row and does nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel

from storage.models import local_datetime_column
from storage.outbox import insert_new


class BackupStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackupRun(SQLModel, table=True):
    day: date = Field(primary_key=True)  # campaign day the backup belongs to
    status: str = BackupStatus.RUNNING.value
    started_at: datetime = local_datetime_column(nullable=False)
    finished_at: datetime | None = local_datetime_column(nullable=True)
    archive: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


def claim_backup(session: Session, day: date, now: datetime) -> bool:
    """Take the day's backup; False when this or another process already took it."""
    values = {"day": day, "status": BackupStatus.RUNNING.value, "started_at": now}
    return insert_new(session, BackupRun, values, ["day"])


def finish_backup(session: Session, day: date, now: datetime, *, archive: str | None, error: str | None) -> None:
    run = session.get(BackupRun, day)
    if run is None:
        return
    run.status = (BackupStatus.FAILED if error else BackupStatus.DONE).value
    run.finished_at, run.archive, run.error = now, archive, error[:2000] if error else None
    session.add(run)
