"""A persistent job table: slow work (media download, image processing) leaves the webhook's hot
path as a row here and a background worker picks it up. Rows survive restarts; a job that was
running when the process died is picked up again after its lease lapses."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, Session, SQLModel, col

from storage.direct import DirectInsert
from storage.leases import claim_due
from storage.models import local_datetime_column

LEASE = timedelta(minutes=5)


class JobKind(StrEnum):
    PHOTO = "photo"  # download, check and store a photo message's image (bot's media worker)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"  # under a lease; a lapsed lease makes it runnable again
    DONE = "done"
    FAILED = "failed"  # given up


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # a JobKind
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.QUEUED, index=True)  # a JobStatus
    attempts: int = 0
    run_after: datetime = local_datetime_column(nullable=False)
    lease_until: datetime | None = local_datetime_column(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = local_datetime_column(nullable=False)
    finished_at: datetime | None = local_datetime_column(nullable=True)


# Queued on the webhook's hot path (every photo): straight on the driver's cursor (storage.direct);
# the ORM's add and flush cost more than a tenth of a photo's handling.
_INSERT_JOB = DirectInsert(Job)


def enqueue(session: Session, kind: JobKind, payload: dict[str, Any], now: datetime) -> int:
    """Queue a job to run from ``now``; its id."""
    return _INSERT_JOB.new_id(session, {"kind": kind, "payload": payload, "run_after": now, "created_at": now})


def claim_next(session: Session, now: datetime) -> Job | None:
    """Take the oldest runnable job (queued, or running with a lapsed lease) under a lease."""
    queued, running = col(Job.status) == JobStatus.QUEUED, col(Job.status) == JobStatus.RUNNING
    runnable = queued | (running & (col(Job.lease_until) < now))
    claimed = claim_due(
        session,
        Job,
        due=runnable & (col(Job.run_after) <= now),
        order_by=(col(Job.run_after), col(Job.id)),
        limit=1,
        lease={"status": JobStatus.RUNNING, "lease_until": now + LEASE},
    )
    return claimed[0] if claimed else None


def finish(session: Session, job_id: int, now: datetime) -> None:
    job = session.get(Job, job_id)
    if job is not None:
        job.status, job.finished_at, job.lease_until = JobStatus.DONE, now, None
        session.add(job)


def fail(session: Session, job_id: int, error: str, now: datetime, *, retry_in: timedelta | None) -> None:
    """Record a failure; retry later while retry_in is given, else give up."""
    job = session.get(Job, job_id)
    if job is None:
        return
    job.last_error, job.lease_until = error[:2000], None
    if retry_in is None:
        job.status, job.finished_at = JobStatus.FAILED, now
    else:
        job.status, job.run_after = JobStatus.QUEUED, now + retry_in
    session.add(job)
