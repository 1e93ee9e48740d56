"""Database: writes on one thread, reads beside them on WAL snapshots."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, select

from scheduler.clock import TZ
from storage.db import Database
from storage.models import AuditLog, Unit
from storage.types import LocalDateTime
from tests.harness import database_url

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


async def test_a_read_does_not_wait_for_a_slow_write(tmp_path: Path) -> None:
    db = Database(database_url(tmp_path))
    db.create_all()
    db.call(lambda s: s.add(Unit(name="市商务局", kind="member")))
    writing = threading.Event()

    def slow_write(session: Session) -> None:
        session.add(Unit(name="市教育局", kind="member"))
        session.flush()  # holds SQLite's write lock from here
        writing.set()
        time.sleep(1.0)

    write = asyncio.ensure_future(db.run(slow_write))
    await asyncio.get_running_loop().run_in_executor(None, writing.wait)
    started = time.perf_counter()
    names = await db.read(lambda s: [u.name for u in s.exec(select(Unit)).all()])
    waited = time.perf_counter() - started
    await write
    assert names == ["市商务局"]  # the snapshot before the uncommitted write
    assert waited < 0.5
    assert len(await db.read(lambda s: s.exec(select(Unit)).all())) == 2
    db.close()


def test_times_are_stored_as_utc_and_read_back_in_shanghai(tmp_path: Path) -> None:
    db = Database(database_url(tmp_path))
    db.create_all()
    moment = datetime(2026, 4, 20, 9, 5, tzinfo=TZ)
    db.call(lambda s: s.add(AuditLog(at=moment, actor="system", action="test")))
    [row] = db.call(lambda s: list(s.exec(select(AuditLog)).all()))
    assert row.at == moment and row.at.utcoffset().total_seconds() == 8 * 3600
    raw = db.call(lambda s: s.connection().exec_driver_sql("select at from auditlog").scalar())
    assert str(raw).startswith("2026-04-20 01:05:00")
    with pytest.raises(ValueError, match="naive"):
        LocalDateTime().process_bind_param(datetime(2026, 4, 20, 9, 5), None)
    db.close()


def test_a_time_binds_as_sqlalchemys_own_processing_would() -> None:
    class SlashedTime(LocalDateTime):  # a SQLite DATETIME stored in another format keeps its own
        impl = sqlite.DATETIME(storage_format="%(year)04d/%(month)02d/%(day)02d %(hour)02d:%(minute)02d")

    dialect = sqlite.dialect()
    for kind in (LocalDateTime(), SlashedTime()):
        typed = kind.dialect_impl(dialect)
        for moment in (datetime(2026, 4, 20, 9, 5, tzinfo=TZ), datetime(2026, 4, 20, 9, 5, 7, 1, tzinfo=TZ)):
            assert typed.bind_processor(dialect)(moment) == TypeDecorator.bind_processor(typed, dialect)(moment)
    assert SlashedTime().dialect_impl(dialect).bind_processor(dialect)(datetime(2026, 4, 20, 9, 5, tzinfo=TZ)) == (
        "2026/04/20 01:05"
    )


def test_a_time_bound_again_binds_alike_and_a_naive_one_is_still_refused() -> None:
    # The processor keeps what it bound: the same instant in another zone is the same text, a
    # different instant is not, and a naive time equal on the clock face is refused all the same.
    bind = LocalDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    other_column = LocalDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    moment = datetime(2026, 4, 20, 9, 5, 7, 1, tzinfo=TZ)
    assert bind(moment) == other_column(moment) == bind(moment.astimezone(UTC)) == "2026-04-20 01:05:07.000001"
    assert bind(moment + timedelta(microseconds=1)) == "2026-04-20 01:05:07.000002"
    with pytest.raises(ValueError, match="naive"):
        bind(moment.replace(tzinfo=None))
    for minute in range(2000):  # past what it keeps: still right
        later = moment + timedelta(minutes=minute)
        assert bind(later) == later.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
