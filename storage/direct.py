"""Statements of the webhook's hot path run straight on the driver's cursor, with SQLAlchemy's SQL
and SQLAlchemy's own type processing.

Why: ``Connection.execute`` sets up an execution context for every call (cache key look-up,
construct_params, result metadata, a Row per row): timed on SQLite, the sender's read took 24 µs
through it and 3 µs on the cursor, and every report runs two such statements (its sender's read,
its activity's insert). A DirectStatement compiles once per dialect, keeps the order of its
parameters and their bind processors, and per call only processes the values and runs the cursor.

What it gives up, so it is only for fixed statements on the hot path: SQLAlchemy's cursor events,
its wrapping of driver errors (a failure raises the driver's exception, and a connection the
driver lost is not invalidated here: the pool's pre-ping replaces it at its next checkout),
expanding IN lists, and Python-side column defaults (an INSERT names every column it writes).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import ReturnsRows
from sqlmodel import Session, SQLModel

from storage.engine import table_of

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order the SQL names them
    # Their values where the statement holds them (processed once, here), else None ...
    template: tuple[object, ...]
    # ... and where the caller gives them: (position, name, bind processor).
    given: tuple[tuple[int, str, Processor], ...]
    positional: bool
    results: tuple[Processor, ...]  # one per returned column

    def args(self, values: Mapping[str, object]) -> Any:  # a tuple or a dict, as the driver takes them
        """The driver's parameters for ``values``: processed, in the SQL's order or by name."""
        args = list(self.template)
        for position, name, proc in self.given:
            value = values[name]
            args[position] = value if proc is None else proc(value)
        return tuple(args) if self.positional else dict(zip(self.names, args, strict=True))

    def row(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """A returned row as SQLAlchemy would return it (e.g. times in Shanghai)."""
        return tuple(value if proc is None else proc(value) for value, proc in zip(row, self.results, strict=True))


class DirectStatement:
    def __init__(self, statement: ClauseElement, keys: Sequence[str] = ()) -> None:
        """``keys``: for an INSERT, the columns it writes (every call gives them all)."""
        self.statement = statement
        self.keys = list(keys)
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.keys or None)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"{self.statement}: not a SQL statement")
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError(f"{self.keys}: columns with Python-side defaults are left out; name them all")
        processors = compiled._bind_processors  # SQLAlchemy's own, as execute would apply them
        names = compiled.positiontup if dialect.positional else list(compiled.bind_names.values())
        template: list[object] = []
        given = []
        for position, name in enumerate(names or ()):
            bind = compiled.binds[name]
            proc = processors.get(name)
            if bind.expanding or bind.literal_execute or isinstance(proc, Sequence):
                raise ValueError(f"{name}: a DirectStatement takes plain parameters, not expanding or tuple ones")
            if bind.required:
                given.append((position, name, proc))
                template.append(None)
            else:  # a value the statement holds, e.g. a status its WHERE compares to
                template.append(bind.effective_value if proc is None else proc(bind.effective_value))
        results: tuple[Processor, ...] = ()
        if isinstance(self.statement, ReturnsRows):  # a SELECT, or DML with RETURNING
            columns = self.statement.exported_columns
            results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
        return _Compiled(
            compiled.string, tuple(names or ()), tuple(template), tuple(given), dialect.positional, results
        )

    def _run(self, session: Session, values: Mapping[str, object]) -> tuple[_Compiled, Any]:
        dialect, driver = _connection(session)
        compiled = self._for(dialect)
        cursor = driver.cursor()
        cursor.execute(compiled.sql, compiled.args(values))
        return compiled, cursor

    def executemany(self, session: Session, rows: Sequence[Mapping[str, object]]) -> None:
        """Run the statement once per row of values, in one call to the driver."""
        dialect, driver = _connection(session)
        compiled = self._for(dialect)
        cursor = driver.cursor()
        try:
            cursor.executemany(compiled.sql, [compiled.args(values) for values in rows])
        finally:
            cursor.close()

    def first(self, session: Session, values: Mapping[str, object]) -> tuple[Any, ...] | None:
        """The first row (its values as SQLAlchemy would return them), or None."""
        compiled, cursor = self._run(session, values)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else compiled.row(row)

    def all(self, session: Session, values: Mapping[str, object]) -> list[tuple[Any, ...]]:
        """Every row (their values as SQLAlchemy would return them)."""
        compiled, cursor = self._run(session, values)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [compiled.row(row) for row in rows]

    def one(self, session: Session, values: Mapping[str, object]) -> tuple[Any, ...]:
        """The one row (an INSERT's RETURNING)."""
        row = self.first(session, values)
        if row is None:
            raise LookupError(f"{self.statement}: no row")
        return row


class DirectInsert(DirectStatement):
    """A model's INSERT naming every column but ``id``, returning the new row's id. A call gives
    what it sets; every other column takes the default the model declares (a plain default, or
    NULL for a nullable column), so the defaults stay declared once, on the model."""

    def __init__(self, model: type[SQLModel]) -> None:
        table = table_of(model)
        keys = [column.key for column in table.columns if column.key != "id"]
        super().__init__(insert(table).returning(table.c.id), keys)
        self.defaults: dict[str, object] = {}
        for column in table.columns:
            field = model.model_fields.get(column.key)
            if column.key == "id" or field is None or field.default_factory is not None:
                continue  # a factory's value is the caller's to give: a fresh one each time
            if field.default is not PydanticUndefined:
                self.defaults[column.key] = field.default
            elif column.nullable:
                self.defaults[column.key] = None

    def values(self, given: Mapping[str, object]) -> dict[str, object]:
        """Every column's value: ``given``, the defaults for the rest."""
        return self.defaults | dict(given)

    def new_id(self, session: Session, values: Mapping[str, object]) -> int:
        """Insert a row of ``values`` (see ``values``); its id."""
        [new_id] = self.one(session, self.values(values))
        return int(new_id)


_CONNECTION = "storage.direct.connection"  # the session.info key of _connection's pair


def _connection(session: Session) -> tuple[Dialect, Any]:
    """The dialect and the driver's connection of the session's transaction, begun if it was not.

    Session.connection() walks the ORM's transaction machinery at every call, a large part of a
    DirectStatement's cost, and a report runs several. Its answer is kept in session.info for the
    transaction it came from: the same root and the same innermost savepoint. Not the root alone:
    the ORM emits a savepoint's SAVEPOINT at the first connection() inside it, so a new savepoint
    must ask again. Nor while the session is inactive (a failed flush): connection() refuses then.
    """
    transaction = (session.get_transaction(), session.get_nested_transaction())
    kept = session.info.get(_CONNECTION)
    if kept is not None and kept[0] == transaction and session.is_active:
        return kept[1], kept[2]
    connection = session.connection()
    driver = connection.connection.dbapi_connection
    # Held, the transactions cannot be freed, so a later one can never be mistaken for them.
    session.info[_CONNECTION] = (
        (session.get_transaction(), session.get_nested_transaction()),
        connection.dialect,
        driver,
    )
    return connection.dialect, driver


class DirectSavepoint:
    """A SAVEPOINT on the driver's connection, around statements that are all DirectStatements:
    ``release()`` keeps what they wrote, ``rollback()`` undoes it. The ORM's own
    (Session.begin_nested) cost ~38 µs against ~3 µs of SQL: it snapshots the session's objects,
    which direct statements neither read nor change. So: no ORM work inside one."""

    _NAME = "direct_statements"

    def __init__(self, session: Session) -> None:
        self._driver = _connection(session)[1]
        self._execute(f"SAVEPOINT {self._NAME}")

    def release(self) -> None:
        self._execute(f"RELEASE SAVEPOINT {self._NAME}")

    def rollback(self) -> None:
        self._execute(f"ROLLBACK TO SAVEPOINT {self._NAME}")
        self.release()

    def _execute(self, sql: str) -> None:
        cursor = self._driver.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()
