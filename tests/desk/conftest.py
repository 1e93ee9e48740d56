"""The desk tests' bot (tests.desk_fixtures.seeded: a few units' reports, photos, an RSVP and a
summary) and a desk client not yet logged in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.desk_fixtures import DeskClient, seeded
from tests.harness import Harness


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with seeded(tmp_path) as harness:
        yield harness


@pytest.fixture
async def desk(bot: Harness) -> AsyncIterator[DeskClient]:
    async with DeskClient(bot) as client:
        yield client
