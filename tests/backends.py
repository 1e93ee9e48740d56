"""Which database the running test is on: SQLite (None) or the URL of a fresh PostgreSQL database.

Set by the ``backend`` fixture (tests/conftest.py); read by ``make_settings``.
"""

from __future__ import annotations

_url: str | None = None


def current() -> str | None:
    return _url


def use(url: str | None) -> None:
    global _url
    _url = url
