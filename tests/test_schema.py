"""A database made by an earlier weekbot: new optional columns are added at start-up, a column
old rows cannot take stops start-up with its name, and nothing is half-changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import main
from storage.db import Database
from storage.schema import SchemaMismatch
from tests.conftest import EXAMPLE
from tests.harness import database_url

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL


def older_database(url: str, *dropped: str) -> None:
    """Today's tables without ``dropped`` columns of inboundmessage, and one message stored."""
    db = Database(url)
    db.create_all()
    with db.engine.begin() as conn:
        for column in dropped:
            conn.exec_driver_sql(f"ALTER TABLE inboundmessage DROP COLUMN {column}")
        row = {
            "channel": "'wecom'",
            "dedupe_key": "'wecom:1'",
            "user_id": "'wangl'",
            "msg_type": "'text'",
            "created_at": "'2026-04-20 01:00:00'",
            "received_at": "'2026-04-20 01:00:00'",
            "content": "'你好'",
            "raw_xml": "'<xml/>'",
        }
        kept = {name: value for name, value in row.items() if name not in dropped}
        conn.exec_driver_sql(f"INSERT INTO inboundmessage ({', '.join(kept)}) VALUES ({', '.join(kept.values())})")
    db.engine.dispose()
    db.close()


def columns(db: Database) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns("inboundmessage")}


def test_new_optional_columns_are_added_and_old_rows_kept(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    older_database(url, "reply", "handled_at")
    db = Database(url)
    assert sorted(db.create_all()) == ["inboundmessage.handled_at", "inboundmessage.reply"]
    assert {"reply", "handled_at"} <= columns(db)
    rows = db.call(lambda s: s.connection().exec_driver_sql("SELECT content, reply FROM inboundmessage").all())
    assert [tuple(row) for row in rows] == [("你好", None)]
    assert db.create_all() == []  # a second start finds nothing to do
    db.close()


def test_a_required_column_missing_stops_start_up_and_changes_nothing(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    older_database(url, "reply", "msg_type")
    db = Database(url)
    with pytest.raises(SchemaMismatch, match=r"inboundmessage\.msg_type") as caught:
        db.create_all()
    assert "inboundmessage.reply" not in str(caught.value)  # that one could have been added
    assert "reply" not in columns(db)  # but was not: all or nothing
    db.close()


def test_the_cli_says_which_columns_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_url(tmp_path)
    older_database(url, "raw_xml")
    monkeypatch.setenv("WEEKBOT_DATABASE_URL", url)
    monkeypatch.setenv("WEEKBOT_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "ledger.xlsx"
    assert main(["export", "--config", str(EXAMPLE), "--format", "xlsx", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "weekbot export:" in error and "inboundmessage.raw_xml" in error
    assert not out.exists()
