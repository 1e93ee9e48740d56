"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

TZ = ZoneInfo("Asia/Shanghai")  # every time in weekbot is in the campaign's zone


def to_local(moment: datetime) -> datetime:
    """Return an aware datetime in Asia/Shanghai; naive input is taken as already local."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


class LocalDateTime(TypeDecorator[datetime]):
    """Aware datetime in, aware Asia/Shanghai datetime out; stored as naive UTC.

    SQLite has no time zones and PostgreSQL's would be the server's: storing UTC and converting
    at the edge gives the same answer on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database; use the injected Clock")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(TZ)
