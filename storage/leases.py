"""Claiming due rows of a work table under a lease: the one claim of both queues, the job table
(storage.jobs) and the outbox (scheduler.sender).

A claim takes up to ``limit`` due rows, oldest first, and leases each: its ``attempts`` go up by
one and the ``lease`` values make it not due until the lease lapses, so a worker that dies mid-work
leaves the row to be claimed again then, and never loses it. Two workers (threads or processes)
never claim the same row:

- the candidates are read ``FOR UPDATE SKIP LOCKED``: on PostgreSQL a second claimer skips rows
  the first holds instead of waiting for them (SQLite has no row locks and ignores it);
- the lease is written by one ``UPDATE … WHERE id IN (…) AND <still due> RETURNING id``, and only
  the rows it returns are claimed. On SQLite that UPDATE runs under the database's single write
  lock on the newest data, so a row another process leased since this one read it is no longer
  due and is left out rather than claimed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, SQLModel, select

from storage.engine import table_of

Row = TypeVar("Row", bound=SQLModel)
_id = attrgetter("id")


def claim_due(
    session: Session,
    model: type[Row],
    *,
    due: ColumnElement[bool],
    order_by: Sequence[Any],
    limit: int,
    lease: Mapping[str, Any],
    choose: Callable[[list[Row]], list[Row]] | None = None,
) -> list[Row]:
    """Lease up to ``limit`` rows of ``model`` (a table with ``id`` and ``attempts``) matching
    ``due``, in ``order_by`` order, and return them as leased. ``choose`` may keep only some of the
    locked candidates (the outbox defers rows over WeCom's rate limits; it may reschedule the rest)."""
    table = table_of(model)
    row_id, attempts = table.c.id, table.c.attempts
    candidates = list(
        session.exec(select(model).where(due).order_by(*order_by).limit(limit).with_for_update(skip_locked=True)).all()
    )
    wanted = [_id(row) for row in (choose(candidates) if choose else candidates)]
    if not wanted:
        return []
    taken = set(
        session.execute(
            update(model)
            .where(row_id.in_(wanted), due)
            .values(attempts=attempts + 1, **lease)
            .returning(row_id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    if not taken:
        return []
    leased = session.exec(select(model).where(row_id.in_(taken)).execution_options(populate_existing=True)).all()
    position = {key: n for n, key in enumerate(wanted)}
    return sorted(leased, key=lambda row: position[_id(row)])
