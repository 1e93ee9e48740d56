"""Bringing an existing database up to this version's tables.

``create_all`` makes missing tables but never touches a table that exists, so a database made by
an earlier weekbot (last year's campaign, or before an upgrade mid-week) would fail later with
obscure SQL errors. At start-up, a column this version adds is added when that is safe for the
rows already there (the column may be NULL, or the database can fill it with a default); any other
difference stops start-up, naming each column, before a single message is handled.
"""

from __future__ import annotations

from sqlalchemy import Column, Table, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateColumn
from sqlmodel import SQLModel


class SchemaMismatch(RuntimeError):
    """The database has a table this version cannot use as it is."""


def upgrade_schema(engine: Engine) -> list[str]:
    """Create missing tables and add missing columns that old rows can take; returns the columns
    added ("table.column"). Raises SchemaMismatch, changing nothing, if a missing column is
    NOT NULL without a server default."""
    missing = _missing_columns(engine)
    blocked = [f"{table.name}.{column.name}" for table, column in missing if not _fillable(column)]
    if blocked:
        raise SchemaMismatch(
            f"the database ({engine.url.render_as_string(hide_password=True)}) was made by another weekbot "
            f"version: {', '.join(blocked)} missing and cannot be added to existing rows. "
            "Start this campaign on a new database (WEEKBOT_DATABASE_URL / storage.data_dir), "
            "or add the columns by hand."
        )
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        for table, column in missing:
            ddl = CreateColumn(column).compile(dialect=engine.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {_quoted(engine, table.name)} ADD COLUMN {ddl}")
    return [f"{table.name}.{column.name}" for table, column in missing]


def _missing_columns(engine: Engine) -> list[tuple[Table, Column[object]]]:
    """Columns of tables that exist (create_all makes the rest whole) but lack them."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in existing:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        found += [(table, column) for column in table.columns if column.name not in present]
    return found


def _fillable(column: Column[object]) -> bool:
    return (column.nullable is True and not column.primary_key) or column.server_default is not None


def _quoted(engine: Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)
