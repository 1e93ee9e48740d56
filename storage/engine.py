"""The engine with its durability settings, and the one conflict-ignoring INSERT every de-duplicating
table uses. Kept apart from storage.db so table modules and the migration runner can use them
without importing the Database (which registers every table): no import cycle inside storage.
See storage.db for why the commit settings are what they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import SQLModel, create_engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=5)
    event.listen(engine, "connect", _postgres_durable_commits)
    return engine


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    return path if path and path != ":memory:" else None


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel table class, for statements that skip the ORM's per-row
    machinery. SQLModel's metaclass sets ``__table__`` at class creation, so its stubs do not
    declare it; this is the one place that says so."""
    return model.__table__  # type: ignore[attr-defined]


def insert_ignoring_conflicts(dialect_name: str, table: Table, unique: list[str]) -> ReturningInsert[Any]:
    """INSERT … ON CONFLICT (unique) DO NOTHING RETURNING the primary key, on SQLite or PostgreSQL:
    one statement, so two writers racing for the same key cannot both insert.

    Whether a row was written is whether a row comes back. Not ``rowcount``: on PostgreSQL
    SQLAlchemy adds RETURNING to fetch the new key and then reports -1 either way.
    """
    insert = pg_insert if dialect_name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=unique).returning(*table.primary_key.columns)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _postgres_durable_commits(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET synchronous_commit = on")
    cur.close()
    dbapi_conn.commit()
