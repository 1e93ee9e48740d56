"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from operator import methodcaller
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

TZ = ZoneInfo("Asia/Shanghai")  # every time in weekbot is in the campaign's zone


def to_local(moment: datetime) -> datetime:
    """Return an aware datetime in Asia/Shanghai; naive input is taken as already local."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the database; use the injected Clock")
    return value.astimezone(UTC).replace(tzinfo=None)


_iso = methodcaller("isoformat", " ", "microseconds")
# What LocalDateTime's bind processors bound, by what follows the conversion to naive UTC (_iso on
# SQLite, nothing on PostgreSQL): shared by every column, as a message's moment is bound by several
# (its row's received_at, its records' created_at and updated_at, its audit rows, its reply's
# handled_at), each converted once, then looked up. Equal aware datetimes are the same instant, so
# they bind alike; a naive one raises before it is kept. Bounded: cleared when full.
_BOUND: dict[Callable[[Any], Any] | None, dict[datetime, Any]] = {}
_BOUND_KEPT = 1024  # a batch binds a few per message
# Naive UTC, as the dialect's processor receives them: with and without microseconds.
_SAMPLES = (datetime(2026, 4, 22, 1, 5, 7, 123), datetime(2026, 4, 22, 1, 5))  # noqa: DTZ001


class LocalDateTime(TypeDecorator[datetime]):
    """Aware datetime in, aware Asia/Shanghai datetime out; stored as naive UTC.

    SQLite has no time zones and PostgreSQL's would be the server's: storing UTC and converting
    at the edge gives the same answer on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else _naive_utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any]:
        """process_bind_param and then the dialect's own processing, in one function (the writer
        binds a time several times per message). SQLite's is the ISO text that datetime.isoformat
        writes in C; checked here, so that any other storage format keeps SQLAlchemy's."""
        then: Callable[[Any], Any] | None = self.impl_instance.dialect_impl(dialect).bind_processor(dialect)
        if then is not None and all(then(moment) == _iso(moment) for moment in _SAMPLES):
            then = _iso

        # Shared where the processing is one function for all (_iso, or none); another dialect's own
        # processing, a new function per column, keeps its own.
        bound = _BOUND.setdefault(then, {}) if then is None or then is _iso else {}

        def process(value: datetime | None) -> Any:
            if value is None:
                return None
            found = bound.get(value)
            if found is None:
                if len(bound) >= _BOUND_KEPT:
                    bound.clear()
                found = bound[value] = _naive_utc(value) if then is None else then(_naive_utc(value))
            return found

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(TZ)
