"""Running the revisions: Alembic configured in code, on the engine storage.db made.

``upgrade`` is the one place a database changes shape. Opening an up-to-date database costs one
small read (the fast path); otherwise the upgrade runs under a lock that a second weekbot
starting at the same moment waits for (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock),
in one transaction. SQLite rebuilds tables to alter them, so its foreign keys are switched off
for the upgrade and checked before commit, as SQLite's own ALTER TABLE procedure does.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every table registered: autogenerate compares against them)
from storage.engine import make_engine
from storage.migrations import DatabaseTooNew, SchemaMismatch

MIGRATIONS = Path(__file__).resolve().parent
# pg_advisory_xact_lock key: any constant, the same in every weekbot ("weekbot" in ASCII).
POSTGRES_LOCK = 0x7765656B626F74


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Files sort by date; the id stays Alembic's random one, so two branches never pick the same.
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@cache
def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in scripts().walk_revisions())


def describe(script: Script) -> str:
    return f"{script.revision}: {script.doc}"


def current_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions the database is at; () before the baseline. Raises DatabaseTooNew."""
    heads = tuple(MigrationContext.configure(conn).get_current_heads())
    unknown = [head for head in heads if head not in known_revisions()]
    if unknown:
        raise DatabaseTooNew(
            f"the database ({_where(conn)}) is at revision {', '.join(unknown)}, which this weekbot does not "
            "know: a newer weekbot has upgraded it. Run that version (or restore a backup made before it)."
        )
    return heads


def pending(conn: Connection) -> list[Script]:
    """The revisions an upgrade would apply, oldest first."""
    current = current_revisions(conn)
    if set(current) == set(scripts().get_heads()):
        return []
    return list(reversed(list(scripts().iterate_revisions("heads", current or "base"))))


def current_description(engine: Engine) -> str:
    """The revisions the database is at, for a person: "id: message (head)", or that it has none."""
    with engine.connect() as conn:
        current = current_revisions(conn)
    heads = set(scripts().get_heads())
    described = [describe(scripts().get_revision(r)) + (" (head)" if r in heads else "") for r in current]
    return "; ".join(described) or "none (no revision applied yet: `weekbot db upgrade`)"


def upgrade(engine: Engine) -> list[str]:
    """Bring the database to the newest revision; returns what was applied ("id (message)").
    Raises DatabaseTooNew, or SchemaMismatch (changing nothing) from the baseline."""
    with engine.connect() as conn:
        if not pending(conn):
            return []
    with _exclusive(engine) as conn:
        applied = [describe(script) for script in pending(conn)]  # again: another process may have done it
        if applied:
            try:
                command.upgrade(alembic_config(conn), "heads")
            except DBAPIError as exc:  # e.g. rows that break a unique key a revision adds
                raise SchemaMismatch(
                    f"upgrading the database ({_where(conn)}) failed and was rolled back: {exc.orig}"
                ) from exc
    return applied


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction no other weekbot can upgrade beside; committed on success."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK})
            yield conn
            conn.commit()
            return
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only takes effect outside a transaction
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise SchemaMismatch(f"the upgrade would leave {len(broken)} rows pointing at missing rows")
            conn.commit()
        finally:
            conn.rollback()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _where(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def render_item(kind: str, item: Any, context: AutogenContext) -> str | Literal[False]:
    """Write our column types (LocalDateTime, UnsignedInt64, SQLModel's AutoString) as the plain
    SQLAlchemy type they store, so a revision never imports application code that may change."""
    if kind == "type" and isinstance(item, TypeDecorator):
        impl: TypeEngine[Any] = item.impl_instance
        return f"sa.{impl!r}"
    return False


def new_revision(message: str) -> tuple[Path, list[Any]]:
    """Write a revision for what the models have that the revisions do not (Alembic's
    autogenerate, against a scratch SQLite database upgraded to the newest revision). Returns
    its path and the differences it found (none: an empty revision to write by hand)."""
    with tempfile.TemporaryDirectory(prefix="weekbot-revision-") as scratch:
        engine = make_engine(f"sqlite:///{scratch}/head.db")
        upgrade(engine)
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            config = alembic_config(conn)
            _format_with_ruff(config)
            written = command.revision(config, message=message, autogenerate=True)
        engine.dispose()
    scripts.cache_clear()  # a revision more than this process has read
    known_revisions.cache_clear()
    assert isinstance(written, Script)
    return Path(written.path), differences


def _format_with_ruff(config: Config) -> None:
    """Run ruff on the new file when it is installed (the dev extra), so it passes `make lint`."""
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        return
    config.set_section_option("post_write_hooks", "hooks", "fix, format")
    for name, options in (
        ("fix", "check --fix --quiet REVISION_SCRIPT_FILENAME"),
        ("format", "format REVISION_SCRIPT_FILENAME"),
    ):
        config.set_section_option("post_write_hooks", f"{name}.type", "exec")
        config.set_section_option("post_write_hooks", f"{name}.executable", ruff)
        config.set_section_option("post_write_hooks", f"{name}.options", options)
