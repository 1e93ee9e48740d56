from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import uvloop

from bot.config import Settings, load_config
from tests import backends
from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_config(EXAMPLE, env={})


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test twice: on SQLite, and on a fresh database of a real PostgreSQL server."""
    backends.use(_database_for(request))
    yield request.param
    backends.use(None)


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request: pytest.FixtureRequest) -> str | None:
    """For a module-scoped fixture: a PostgreSQL database's URL, or None for SQLite (pass it on
    as WEEKBOT_DATABASE_URL; the per-test ``backend`` switch is not there yet)."""
    return _database_for(request)


def _database_for(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("postgres_server").new_database() if request.param == "postgresql" else None


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, object]:
    """Tests marked ``both_loops`` run on asyncio's loop and on uvloop's, which `weekbot serve`
    runs (bot.cli.service); the rest on asyncio's."""
    if item.get_closest_marker("both_loops"):
        return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
    return {"asyncio": asyncio.new_event_loop}
