"""storage.direct: a hot-path statement run on the driver's cursor reads and writes what SQLAlchemy's
execute would, types included (times in Shanghai, dates, JSON, booleans), on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select
from sqlmodel import Session

from handlers.arrival import read_arrival
from handlers.reports import _INSERT_ACTIVITY
from scheduler.clock import TZ
from storage.db import Database
from storage.direct import DirectInsert, DirectSavepoint, DirectStatement
from storage.engine import table_of
from storage.jobs import Job, JobKind, JobStatus, enqueue
from storage.models import Activity, Liaison, Role, Unit
from storage.photos import Photo, PhotoStatus
from tests.harness import database_url

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

NOW = datetime(2026, 4, 22, 9, 30, 15, 123456, tzinfo=TZ)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    db = Database(database_url(tmp_path))
    db.create_all()
    return db


def _liaison(session: Session) -> Liaison:
    unit = Unit(name="市商务局", kind="member")
    session.add(unit)
    session.flush()
    liaison = Liaison(channel="wecom", user_id="wang", unit_id=unit.id or 0, bound_at=NOW, last_seen_at=NOW)
    session.add(liaison)
    session.flush()
    return liaison


def test_the_activity_insert_writes_the_row_core_would(db: Database) -> None:
    def write(session: Session) -> tuple[int, int]:
        liaison = _liaison(session)
        values = {
            "unit_id": liaison.unit_id, "liaison_id": liaison.id, "message_id": None, "date": date(2026, 4, 22),
            "end_date": date(2026, 4, 24), "type": "集中宣传", "location": "新华路商圈", "materials": 200,
            "consultations": None, "participants": 40, "enterprises": None, "articles": None,
            "approximate": {"participants": True}, "text": "原文", "status": "active",
            "created_at": NOW, "updated_at": NOW,
        }  # fmt: skip
        [direct_id] = _INSERT_ACTIVITY.one(session, values)
        core_id = session.connection().execute(insert(table_of(Activity)).returning(table_of(Activity).c.id), values)
        return direct_id, core_id.scalar_one()

    direct_id, core_id = db.call(write)
    with db.session() as session:
        direct, core = session.get(Activity, direct_id), session.get(Activity, core_id)
        assert direct is not None and core is not None
        assert direct.model_dump(exclude={"id"}) == core.model_dump(exclude={"id"})
        assert direct.created_at == NOW and direct.approximate == {"participants": True}
        assert direct.end_date == date(2026, 4, 24)


def test_a_model_insert_gives_what_it_is_not_told_the_models_defaults(db: Database) -> None:
    """A photo and a job queued straight (the photo's hot path) are the rows the ORM would write
    from the same values: the defaults come from the models, not from a second list."""
    payload = {"photo_id": 7, "media_id": "m-1"}

    def write(session: Session) -> tuple[tuple[int, int], tuple[int, int]]:
        liaison = _liaison(session)
        photo = {"unit_id": liaison.unit_id, "liaison_id": liaison.id, "created_at": NOW}
        orm_photo = Photo(**photo)
        session.add(orm_photo)
        orm_job = Job(kind=JobKind.PHOTO, payload=payload, run_after=NOW, created_at=NOW)
        session.add(orm_job)
        session.flush()
        photo_ids = DirectInsert(Photo).new_id(session, photo), orm_photo.id or 0
        return photo_ids, (enqueue(session, JobKind.PHOTO, payload, NOW), orm_job.id or 0)

    (direct_photo, orm_photo), (direct_job, orm_job) = db.call(write)
    with db.session() as session:
        for model, direct_id, orm_id in ((Photo, direct_photo, orm_photo), (Job, direct_job, orm_job)):
            direct, orm = session.get(model, direct_id), session.get(model, orm_id)
            assert direct is not None and orm is not None and direct_id != orm_id
            assert direct.model_dump(exclude={"id"}) == orm.model_dump(exclude={"id"})
        photo, job = session.get(Photo, direct_photo), session.get(Job, direct_job)
        assert photo is not None and (photo.status, photo.activity_id, photo.phash) == (PhotoStatus.PENDING, None, 0)
        assert job is not None and (job.status, job.attempts, job.payload) == (JobStatus.QUEUED, 0, payload)


def test_a_model_insert_refuses_a_row_missing_a_value_the_model_does_not_default(db: Database) -> None:
    # Photo.created_at has no default: left out, the insert fails before it reaches the database.
    with db.session() as session, pytest.raises(KeyError, match="created_at"):
        DirectInsert(Photo).new_id(session, {"unit_id": 1})


def test_the_arrival_read_sees_the_senders_binding_and_waiting_photos(db: Database) -> None:
    def arrive(session: Session) -> None:
        liaison = _liaison(session)
        window = timedelta(minutes=30)
        arrival = read_arrival(session, "wecom", "wang", NOW, window)
        assert arrival.sender is not None and arrival.sender.liaison_id == liaison.id
        assert arrival.sender.last_seen_at == NOW and arrival.sender.unit.name == "市商务局"
        assert (arrival.asked, arrival.photos_waiting) == (False, False)
        session.add(Photo(unit_id=liaison.unit_id, liaison_id=liaison.id, created_at=NOW - timedelta(minutes=5)))
        assert read_arrival(session, "wecom", "wang", NOW, window).photos_waiting is True
        assert read_arrival(session, "wecom", "wang", NOW + window, window).photos_waiting is False
        assert read_arrival(session, "wecom", "stranger", NOW, window).sender is None
        liaison.role = Role.UNBOUND  # a value the statement holds (role != 'unbound'), not the caller
        session.add(liaison)
        assert read_arrival(session, "wecom", "wang", NOW, window).sender is None

    db.call(arrive)


def test_a_statement_it_cannot_run_as_written_is_refused(db: Database) -> None:
    units = table_of(Unit)
    expanding = DirectStatement(select(units.c.id).where(units.c.name.in_(bindparam("names", expanding=True))))
    defaults_left_out = DirectStatement(insert(table_of(Activity)), ["unit_id", "date", "type"])  # text has one
    with db.session() as session:
        with pytest.raises(ValueError, match="expanding"):
            expanding.first(session, {"names": ["市商务局"]})
        with pytest.raises(ValueError, match="defaults"):
            defaults_left_out.first(session, {"unit_id": 1, "date": NOW.date(), "type": "x"})


def test_a_statement_in_a_savepoint_is_rolled_back_with_it_and_a_new_transaction_gets_its_own(db: Database) -> None:
    units = table_of(Unit)
    add_unit = DirectStatement(insert(units).returning(units.c.id), ["name", "kind"])
    names = DirectStatement(select(units.c.name).where(units.c.kind == bindparam("kind")).order_by(units.c.name))
    with db.session() as session:
        add_unit.one(session, {"name": "市商务局", "kind": "member"})  # the connection is looked up here
        savepoint = session.begin_nested()
        add_unit.one(session, {"name": "市统计局", "kind": "member"})  # inside the savepoint, not before it
        savepoint.rollback()
        assert names.all(session, {"kind": "member"}) == [("市商务局",)]
        savepoint = session.begin_nested()
        add_unit.one(session, {"name": "市财政局", "kind": "member"})
        savepoint.commit()
        session.commit()
        add_unit.one(session, {"name": "市审计局", "kind": "member"})  # a new transaction: ...
        session.rollback()  # ... rolled back on its own
    with db.session() as session:
        assert names.all(session, {"kind": "member"}) == [("市商务局",), ("市财政局",)]


def test_a_direct_savepoint_undoes_a_failed_statement_and_the_transaction_goes_on(db: Database) -> None:
    units = table_of(Unit)
    add_unit = DirectStatement(insert(units).returning(units.c.id), ["name", "kind"])
    names = DirectStatement(select(units.c.name).where(units.c.kind == bindparam("kind")).order_by(units.c.name))
    with db.session() as session:
        add_unit.one(session, {"name": "市商务局", "kind": "member"})
        savepoint = DirectSavepoint(session)
        add_unit.one(session, {"name": "市统计局", "kind": "member"})
        with pytest.raises(Exception, match=r"(?i)unique"):  # on PostgreSQL it aborts the transaction ...
            add_unit.one(session, {"name": "市商务局", "kind": "member"})
        savepoint.rollback()  # ... which the savepoint's rollback restores, without what it wrote
        savepoint = DirectSavepoint(session)
        add_unit.one(session, {"name": "市财政局", "kind": "member"})
        savepoint.release()
        session.commit()
    with db.session() as session:
        assert names.all(session, {"kind": "member"}) == [("市商务局",), ("市财政局",)]
