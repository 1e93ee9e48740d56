"""Bringing a database to the baseline's tables, whatever earlier weekbot made it.

Before Alembic, start-up ran ``create_all`` and storage/schema.py's ADD COLUMN, which left out
``unique=True`` and ``index=True``: a database could have every column and still lack the unique
key that stops a double send. The baseline revision therefore does not assume an empty database.
For each of its tables it creates the table when missing, and otherwise adds what is missing:
nullable columns, indexes, unique keys. It checks everything first and raises SchemaMismatch,
changing nothing, when a difference cannot be bridged (a required column missing, or rows that
already break a unique key: those are named, for a person to decide). On an empty database this
is plain CREATE TABLE; on a database made by create_all it finds nothing to do.

Only the baseline uses this; later revisions say what they change, as Alembic revisions do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic.operations import Operations
from sqlalchemy import Column, Connection, Index, MetaData, Table, UniqueConstraint, func, inspect, select
from sqlalchemy.engine import Inspector

from storage.migrations import SchemaMismatch


@dataclass
class _Gaps:
    """What one existing table lacks."""

    table: Table
    columns: list[Column[object]] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    uniques: list[UniqueConstraint] = field(default_factory=list)


def bring_to(op: Operations, target: MetaData) -> None:
    """Create ``target``'s missing tables and give the existing ones what they lack."""
    conn = op.get_bind()
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    gaps = [_gaps_of(inspector, table) for table in target.sorted_tables if table.name in existing]
    _check(conn, gaps)
    for table in target.sorted_tables:
        if table.name not in existing:
            table.create(conn)
    for gap in gaps:
        _fill(op, gap)


def _gaps_of(inspector: Inspector, table: Table) -> _Gaps:
    columns = {column["name"] for column in inspector.get_columns(table.name)}
    indexes = inspector.get_indexes(table.name)
    index_names = {index["name"] for index in indexes}
    # A unique key may be there as a constraint (create_all) or as a unique index (made by hand).
    unique_keys = {frozenset(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
    # An expression index has None for its expressions: it is no plain key of columns.
    unique_keys |= {
        frozenset(name for name in index["column_names"] if name is not None)
        for index in indexes
        if index["unique"] and None not in index["column_names"]
    }
    return _Gaps(
        table,
        columns=[column for column in table.columns if column.name not in columns],
        indexes=[index for index in table.indexes if index.name not in index_names],
        uniques=[
            constraint
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint) and frozenset(constraint.columns.keys()) not in unique_keys
        ],
    )


def _check(conn: Connection, gaps: list[_Gaps]) -> None:
    problems = [
        f"{gap.table.name}.{column.name} is missing and existing rows cannot take it (NOT NULL without a default)"
        for gap in gaps
        for column in gap.columns
        if not _fillable(column)
    ]
    for gap in gaps:
        new_keys = [list(u.columns) for u in gap.uniques] + [list(i.columns) for i in gap.indexes if i.unique]
        for columns in new_keys:
            if any(column in gap.columns for column in columns):
                continue  # a column added now is NULL in every row: nothing repeats
            repeated = _repeated_values(conn, gap.table, columns)
            if repeated:
                names = ", ".join(column.name for column in columns)
                problems.append(
                    f"{gap.table.name} ({names}) must be unique but {repeated} values occur more than once; "
                    "remove the duplicate rows, then start again"
                )
    if problems:
        raise SchemaMismatch(
            "this database was made by an earlier weekbot and cannot be upgraded as it is:\n  " + "\n  ".join(problems)
        )


def _repeated_values(conn: Connection, table: Table, columns: list[Column[object]]) -> int:
    """How many distinct values of ``columns`` occur in more than one row."""
    grouped = select(*columns).group_by(*columns).having(func.count() > 1).subquery()
    return int(conn.execute(select(func.count()).select_from(grouped)).scalar_one())


def _fillable(column: Column[object]) -> bool:
    return (column.nullable is True and not column.primary_key) or column.server_default is not None


def _fill(op: Operations, gap: _Gaps) -> None:
    name = gap.table.name
    for column in gap.columns:
        op.add_column(name, column._copy())
    if gap.uniques and op.get_bind().dialect.name == "sqlite":
        # SQLite cannot add a constraint to a table: rebuild it as the baseline declares it (rows
        # copied, indexes made), which is what create_all would have made.
        with op.batch_alter_table(name, copy_from=gap.table, recreate="always"):
            pass
        return
    for constraint in gap.uniques:
        columns = [column.name for column in constraint.columns]
        # PostgreSQL's own name for an unnamed UNIQUE, so the table matches one create_all made.
        op.create_unique_constraint(f"{name}_{'_'.join(columns)}_key", name, columns)
    for index in gap.indexes:
        index.create(op.get_bind())
