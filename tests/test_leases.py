"""The claim both queues use (storage.leases): the job table and the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from scheduler.clock import TZ
from storage import jobs
from storage.db import Database
from storage.jobs import Job
from storage.leases import claim_due
from tests.harness import database_url

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

NOW = datetime(2026, 4, 20, 9, 0, tzinfo=TZ)


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two Database objects on one database: two processes, each with its own engine."""
    url = database_url(tmp_path)
    first, second = Database(url), Database(url)
    first.create_all()
    yield first, second
    first.close()
    second.close()


def queue(db: Database, count: int) -> list[int]:
    return db.call(lambda session: [jobs.enqueue(session, jobs.JobKind.PHOTO, {"n": n}, NOW) for n in range(count)])


def claim(session: Session, now: datetime, limit: int, choose=None) -> list[Job]:
    return claim_due(
        session,
        Job,
        due=(col(Job.status) == "queued") & (col(Job.run_after) <= now),
        order_by=(col(Job.id),),
        limit=limit,
        lease={"status": "running", "lease_until": now + jobs.LEASE},
        choose=choose,
    )


def test_a_claim_leases_the_oldest_due_rows_up_to_its_limit(databases: tuple[Database, Database]) -> None:
    db, _ = databases
    ids = queue(db, 5)
    db.call(lambda session: jobs.fail(session, ids[0], "later", NOW, retry_in=timedelta(minutes=1)))
    claimed = db.call(lambda session: claim(session, NOW, limit=3))
    assert [job.id for job in claimed] == ids[1:4]  # the first is not due yet
    assert {(job.status, job.attempts, job.lease_until) for job in claimed} == {("running", 1, NOW + jobs.LEASE)}
    assert [job.id for job in db.call(lambda session: claim(session, NOW, limit=3))] == ids[4:]


def test_choose_keeps_some_candidates_and_the_rest_stay_due(databases: tuple[Database, Database]) -> None:
    db, _ = databases
    ids = queue(db, 4)
    claimed = db.call(lambda session: claim(session, NOW, limit=10, choose=lambda rows: rows[1::2]))
    assert [job.id for job in claimed] == [ids[1], ids[3]]
    assert [job.id for job in db.call(lambda session: claim(session, NOW, limit=10))] == [ids[0], ids[2]]


def test_a_job_whose_worker_died_is_claimed_again_once_its_lease_lapses(databases: tuple[Database, Database]) -> None:
    db, _ = databases
    (job_id,) = queue(db, 1)
    first = db.call(lambda session: jobs.claim_next(session, NOW))
    assert first is not None and (first.id, first.attempts) == (job_id, 1)
    assert db.call(lambda session: jobs.claim_next(session, NOW + jobs.LEASE - timedelta(seconds=1))) is None
    again = db.call(lambda session: jobs.claim_next(session, NOW + jobs.LEASE + timedelta(seconds=1)))
    assert again is not None and (again.id, again.attempts) == (job_id, 2)


def test_rows_another_process_claims_meanwhile_are_never_claimed_twice(databases: tuple[Database, Database]) -> None:
    """Between one claimer's read and its lease, a second process claims. On PostgreSQL the second
    skips the rows the first holds locked; on SQLite (no row locks) the first's lease skips the
    rows that are no longer due. Either way each row is claimed once."""
    db, other = databases
    ids = queue(db, 6)
    by_other: list[Job] = []

    def meanwhile(rows: list[Job]) -> list[Job]:
        by_other.extend(other.call(lambda session: claim(session, NOW, limit=10)))
        return rows

    by_first = db.call(lambda session: claim(session, NOW, limit=10, choose=meanwhile))
    assert sorted(job.id or 0 for job in by_first + by_other) == ids
    assert {job.attempts for job in db.call(lambda session: list(session.exec(select(Job)).all()))} == {1}
