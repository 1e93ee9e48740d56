"""The database half of a backup: a consistent copy out, an install into an empty target.

SQLite: the online backup API copies every page in one step, so the copy is one read transaction's
snapshot; under WAL the service's writer goes on writing meanwhile. PostgreSQL: ``pg_dump`` in
custom format, run on a snapshot exported by a REPEATABLE READ transaction that also counts the
rows, so the manifest's counts are exactly what the dump holds; ``pg_restore`` puts it back.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import URL, Connection, make_url


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do."""


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


# The database's member in the archive, by dialect.
DATABASE_MEMBERS = {Dialect.SQLITE: "database/weekbot.db", Dialect.POSTGRESQL: "database/weekbot.pgdump"}
ALEMBIC_TABLE = "alembic_version"


@dataclass(frozen=True)
class DatabaseFacts:
    """What the copy holds: per-table row counts and the Alembic revision, if the schema has one."""

    row_counts: dict[str, int]
    alembic_revision: str | None


def dialect_of(url: str) -> Dialect:
    backend = make_url(url).get_backend_name()
    try:
        return Dialect(backend)
    except ValueError:
        raise BackupError(f"backups support SQLite and PostgreSQL databases, not {backend!r}") from None


def _facts(tables: Sequence[str], count: Callable[[str], int], revision: Callable[[], str | None]) -> DatabaseFacts:
    counts = {table: count(table) for table in sorted(tables)}
    return DatabaseFacts(counts, revision() if ALEMBIC_TABLE in counts else None)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- SQLite ----


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url}: an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [name for (name,) in rows]


def copy_sqlite(source: Path, target: Path) -> DatabaseFacts:
    """Copy the live database at ``source`` to ``target`` (a new file) and describe the copy."""
    if not source.is_file():
        raise BackupError(f"no database at {source}; set WEEKBOT_DATA_DIR (or WEEKBOT_DATABASE_URL) as for `serve`")
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(target)) as copy:
        # pages=-1: all pages in one step, i.e. inside one read transaction. Copied in several
        # steps, a write by the service between steps would restart the copy, forever under load.
        live.backup(copy, pages=-1)
        # One self-contained file in the archive, whatever journal mode the live database uses.
        copy.execute("PRAGMA journal_mode=DELETE")
        verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy of {source} fails SQLite's quick_check: {verdict}")
        return _facts(
            _sqlite_tables(copy),
            lambda table: int(copy.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()[0]),
            lambda: copy.execute(f"SELECT version_num FROM {ALEMBIC_TABLE}").fetchone()[0],
        )


def sqlite_contents(path: Path) -> list[str]:
    """Why the database at ``path`` is not empty (its tables), or nothing when it is."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        with closing(sqlite3.connect(path, timeout=30)) as conn:
            tables = _sqlite_tables(conn)
    except sqlite3.DatabaseError as exc:
        return [f"{path} is not a usable SQLite database ({exc})"]
    return [f"{path} holds {len(tables)} tables"] if tables else []


def install_sqlite(staged: Path, target: Path) -> None:
    """Put the verified copy in place of whatever is at ``target``."""
    if verdict := _quick_check(staged):
        raise BackupError(f"the database in the archive fails SQLite's quick_check: {verdict}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # A journal left by the replaced database would be applied to the restored one on open.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.move(staged, target)


def _quick_check(path: Path) -> str | None:
    try:
        with closing(sqlite3.connect(path)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if verdict == "ok" else str(verdict)


# ---- PostgreSQL ----


def pg_binary(name: str) -> str:
    """``pg_dump``/``pg_restore`` on PATH, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise BackupError(f"PostgreSQL's {name} not found: install the postgresql-client package")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for the command-line tools, and an environment carrying the password (not argv,
    where every user on the machine could read it in the process list)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run_tool(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed (exit {done.returncode}):\n{done.stderr.strip()[-2000:]}")


def _pg_tables(conn: Connection) -> list[str]:
    rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
    return [name for (name,) in rows]


def dump_postgres(url: str, target: Path) -> DatabaseFacts:
    """``pg_dump`` the database to ``target`` and describe exactly what the dump holds."""
    uri, env = _libpq(url)
    engine = create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            facts = _facts(
                _pg_tables(conn),
                lambda table: int(conn.execute(text(f"SELECT count(*) FROM {_quoted(table)}")).scalar_one()),
                lambda: conn.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar(),
            )
            # The dump reads the same snapshot while this transaction holds it open.
            _run_tool([pg_binary("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={target}", uri], env)
    finally:
        engine.dispose()
    return facts


def postgres_contents(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = _pg_tables(conn)
    finally:
        engine.dispose()
    shown = make_url(url).render_as_string(hide_password=True)
    return [f"the database {shown} holds {len(tables)} tables"] if tables else []


def clear_postgres(url: str) -> None:
    """Drop every table of the current schema (--force), so tables the backup lacks go too."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
    finally:
        engine.dispose()


def restore_postgres(url: str, dump: Path) -> None:
    uri, env = _libpq(url)
    # Owners and grants belong to the old server's roles; the restoring user owns what it creates.
    argv = [pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    _run_tool([*argv, f"--dbname={uri}", str(dump)], env)
