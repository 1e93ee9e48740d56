"""Alembic migrations, on SQLite and PostgreSQL: a fresh database, the previous release's database
(tests/fixtures, built by make_release_db.py from d5f0482) and one that lacks its unique keys are
brought to tables that match the models; a database a newer weekbot upgraded is refused; and the
models may not change without a revision (autogenerate finds no difference)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, String, Table, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from bot.cli.main import main
from storage.db import Database
from storage.migrations import DatabaseTooNew, SchemaMismatch, runner
from storage.models import Activity, InboundMessage
from storage.outbox import OutboxMessage
from storage.photos import Photo
from tests import backends
from tests.conftest import EXAMPLE
from tests.harness import database_url

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RELEASE = "release-d5f0482"  # made by the last weekbot before Alembic
KEYS_DROPPED = "keys-dropped-d5f0482"  # the same, as if its keys had come by schema.py's ADD COLUMN
BASELINE = "f11ad9a76e56"
# Every revision, oldest first: what a database made before Alembic goes through.
ALL_REVISIONS = [script.revision for script in reversed(list(runner.scripts().walk_revisions()))]
HEAD = ALL_REVISIONS[-1]


def fixture_database(tmp_path: Path, name: str) -> Database:
    """The fixture database ``name``, copied (SQLite) or loaded (PostgreSQL) for this test."""
    url = database_url(tmp_path)
    if backends.current() is None:
        shutil.copy(FIXTURES / f"{name}.sqlite", tmp_path / "t.db")
        return Database(url)
    db = Database(url)
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute((FIXTURES / f"{name}.postgresql.sql").read_text(encoding="utf-8"))
        raw.commit()
    finally:
        raw.close()
    return db


def differences(db: Database) -> list[Any]:
    """What Alembic's autogenerate would write to make the database match the models."""
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)


def outbox_row(key: str) -> OutboxMessage:
    from datetime import datetime

    from scheduler.clock import TZ

    now = datetime(2026, 4, 21, 9, 0, tzinfo=TZ)
    return OutboxMessage(
        key=key, kind="kickoff", channel="wecom", recipient="tianlin", text="再发", next_attempt_at=now, created_at=now
    )


def add(session: Session, row: OutboxMessage) -> int:
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def test_a_fresh_database_gets_tables_that_match_the_models(tmp_path: Path) -> None:
    db = Database(database_url(tmp_path))
    assert [applied.split(":")[0] for applied in db.create_all()] == ALL_REVISIONS
    assert differences(db) == []
    assert db.create_all() == []  # the next start finds nothing to do
    db.close()


@pytest.mark.parametrize("fixture", [RELEASE, KEYS_DROPPED])
def test_the_previous_release_is_upgraded_keeping_its_rows_and_gaining_its_unique_keys(
    tmp_path: Path, fixture: str
) -> None:
    db = fixture_database(tmp_path, fixture)
    assert [applied.split(":")[0] for applied in db.create_all()] == ALL_REVISIONS
    assert differences(db) == []
    message = db.call(lambda s: s.exec(select(InboundMessage)).one())
    assert (message.dedupe_key, message.content) == ("wecom:7000000001", "今天在万达广场发放宣传资料约200份")
    old = db.call(lambda s: s.exec(select(Activity)).one())
    assert old.approximate == {"materials": True}
    assert (old.end_date, old.days()) == (None, [old.date])  # a row from before spans stays one day
    assert db.call(lambda s: s.exec(select(Photo)).one()).phash == 2**64 - 1
    # The key that stops a double send holds on the upgraded database…
    with pytest.raises(IntegrityError):
        db.call(lambda s: s.add(outbox_row("kickoff:wecom:tianlin")))
    # …and new rows get ids past the release's (PostgreSQL: the sequence was moved past them).
    assert db.call(lambda s: add(s, outbox_row("digest:wecom:tianlin"))) > 1
    db.close()


def test_the_keys_dropped_fixture_really_lacks_its_keys_before_the_upgrade(tmp_path: Path) -> None:
    """The check has teeth: autogenerate sees the missing keys, and a duplicate send goes in."""
    db = fixture_database(tmp_path, KEYS_DROPPED)
    keys = ("add_constraint", "add_index")  # (tables added since the release differ too)
    missing = {(kind, obj.table.name) for kind, obj, *_ in _flat(differences(db)) if kind in keys}
    assert {("add_constraint", "outboxmessage"), ("add_constraint", "inboundmessage")} <= missing
    assert ("add_index", "outboxmessage") in missing
    db.call(lambda s: s.add(outbox_row("kickoff:wecom:tianlin")))
    db.close()


def _flat(diffs: list[Any]) -> list[Any]:
    # compare_metadata nests column-level changes in lists; constraint and index ones are tuples.
    return [diff for diff in diffs if isinstance(diff, tuple)]


def test_duplicate_rows_stop_the_upgrade_naming_them_and_changing_nothing(tmp_path: Path) -> None:
    db = fixture_database(tmp_path, KEYS_DROPPED)
    db.call(lambda s: s.add(outbox_row("kickoff:wecom:tianlin")))
    with pytest.raises(SchemaMismatch, match=r"outboxmessage \(key\) must be unique but 1 values"):
        db.create_all()
    assert "alembic_version" not in inspect(db.engine).get_table_names()
    assert "ix_outboxmessage_kind" not in {index["name"] for index in inspect(db.engine).get_indexes("outboxmessage")}
    db.close()


def test_a_required_column_missing_stops_the_upgrade_naming_it(tmp_path: Path) -> None:
    db = fixture_database(tmp_path, RELEASE)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE inboundmessage DROP COLUMN msg_type")
        conn.exec_driver_sql("ALTER TABLE inboundmessage DROP COLUMN reply")
    with pytest.raises(SchemaMismatch, match=r"inboundmessage\.msg_type is missing") as caught:
        db.create_all()
    assert "inboundmessage.reply" not in str(caught.value)  # that one could have been added…
    assert "reply" not in {
        column["name"] for column in inspect(db.engine).get_columns("inboundmessage")
    }  # …but was not
    db.close()


def test_a_missing_nullable_column_is_added(tmp_path: Path) -> None:
    db = fixture_database(tmp_path, RELEASE)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE outboxmessage DROP COLUMN finished_at")
    db.create_all()
    assert differences(db) == []
    db.close()


def test_a_database_upgraded_by_a_newer_weekbot_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_url(tmp_path)
    db = Database(url)
    db.create_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'a0b1c2d3e4f5'")
    with pytest.raises(DatabaseTooNew, match="a0b1c2d3e4f5"):
        db.create_all()
    db.close()
    monkeypatch.setenv("WEEKBOT_DATABASE_URL", url)
    monkeypatch.setenv("WEEKBOT_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "ledger.xlsx"
    # Every command that opens the database goes through the same check as `serve` (bot.database.open_database).
    assert main(["export", "--config", str(EXAMPLE), "--format", "xlsx", "--out", str(out)]) == 2
    assert main(["db", "upgrade", "--config", str(EXAMPLE)]) == 2
    error = capsys.readouterr().err
    assert "weekbot export:" in error and "weekbot db:" in error and "newer weekbot" in error
    assert not out.exists()


def test_weekbot_db_upgrade_says_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture_database(tmp_path, RELEASE).close()
    monkeypatch.setenv("WEEKBOT_DATABASE_URL", database_url(tmp_path))
    assert main(["db", "current", "--config", str(EXAMPLE)]) == 0
    assert "none" in capsys.readouterr().out
    assert main(["db", "upgrade", "--config", str(EXAMPLE)]) == 0
    assert f"已升级：{BASELINE}: Baseline" in capsys.readouterr().out
    assert main(["db", "upgrade", "--config", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "已是最新，无需升级",
        f"当前版本：{runner.describe(runner.scripts().get_revision(HEAD))} (head)",
    ]


def test_the_revisions_form_one_line() -> None:
    """Two branches that each add a revision on the same parent leave two heads: give the later
    one the other as its down_revision when merging."""
    assert len(runner.scripts().get_heads()) == 1


SECOND_ACTIVITY_SAME_DAY = (
    "INSERT INTO activity (id, unit_id, date, type, approximate, text, status, created_at, updated_at) "
    "VALUES (2, 1, '2026-04-20', '宣传咨询', '{}', '', 'active', '2026-04-20 03:00:00', '2026-04-20 03:00:00')"
)


def test_weekbot_db_revision_writes_the_revision_a_model_change_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The way to add a revision (storage/migrations/README.md), end to end: a model gains a
    table and an existing table a unique key; `weekbot db revision` writes the revision; it brings
    the previous release's database, rows and all, to the models."""
    migrations = tmp_path / "migrations"
    shutil.copytree(runner.MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runner, "MIGRATIONS", migrations)
    activity = SQLModel.metadata.tables["activity"]
    nonce = Table("probenonce", SQLModel.metadata, Column("value", String(), primary_key=True))
    one_a_day = Index("ix_activity_unit_id_date", activity.c.unit_id, activity.c.date, unique=True)
    runner.scripts.cache_clear()
    runner.known_revisions.cache_clear()
    try:
        assert main(["db", "revision", "-m", "probe nonce and unit kind+name"]) == 0
        written = Path(capsys.readouterr().out.split()[1].rstrip(":"))
        assert written.parent == migrations / "versions"
        assert "create_table" in written.read_text() and "ix_activity_unit_id_date" in written.read_text()
        db = fixture_database(tmp_path, RELEASE)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(SECOND_ACTIVITY_SAME_DAY)
        # Rows that break the new key: the upgrade stops, says so, and leaves the database as it was.
        with pytest.raises(SchemaMismatch, match="rolled back"):
            db.create_all()
        assert "alembic_version" not in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM activity WHERE id = 2")
        assert len(db.create_all()) == len(ALL_REVISIONS) + 1  # every revision, then the new one
        assert differences(db) == []
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.exec_driver_sql(SECOND_ACTIVITY_SAME_DAY)
        db.close()
    finally:
        SQLModel.metadata.remove(nonce)
        activity.indexes.discard(one_a_day)
        runner.scripts.cache_clear()
        runner.known_revisions.cache_clear()


def test_with_backups_on_an_upgrade_starts_from_a_backup(tmp_path: Path) -> None:
    """[backup] on: the release database is backed up before its revisions are applied, and only then."""
    from bot.backup.archive import read_manifest
    from bot.database import open_database
    from tests.harness import make_settings

    settings = make_settings(tmp_path)
    settings = settings.model_copy(update={"backup": settings.backup.model_copy(update={"enabled": True})})
    backups = settings.backup.directory(settings.data_dir)
    if not backends.current():
        settings.data_dir.mkdir(parents=True)
        shutil.copy(FIXTURES / f"{RELEASE}.sqlite", settings.data_dir / "weekbot.db")
    else:
        fixture_database(tmp_path, RELEASE).close()
    open_database(settings).close()
    [made] = list(backups.glob("weekbot-before-upgrade-*.zip"))
    open_database(settings).close()  # up to date now: no second backup
    assert list(backups.glob("*.zip")) == [made]
    manifest = read_manifest(made)
    assert manifest.alembic_revision is None  # the copy is the database as the release left it
    assert manifest.row_counts["activity"] > 0
