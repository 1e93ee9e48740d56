"""Processes sharing one SQLite file take turns at writing (storage.db): SQLite only, since on
PostgreSQL writers share the database through its row locks and take no turns."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sqlmodel import Session, select

from storage.db import Database
from storage.models import Unit


async def test_processes_sharing_a_sqlite_file_take_turns_at_writing(tmp_path: Path) -> None:
    """Two Database objects on one file stand for two `serve` workers: the second's write does not
    begin while the first's transaction is open, and begins once it has committed."""
    url = f"sqlite:///{tmp_path / 'weekbot.db'}"
    first, second = Database(url), Database(url)
    first.create_all()
    holding, release = threading.Event(), threading.Event()
    order: list[str] = []

    def long_write(session: Session) -> None:
        session.add(Unit(name="市商务局", kind="member"))
        order.append("first began")
        holding.set()
        assert release.wait(30)
        order.append("first done")

    def short_write(session: Session) -> None:
        order.append("second began")
        session.add(Unit(name="市教育局", kind="member"))

    writing = asyncio.ensure_future(first.run(long_write))
    await asyncio.get_running_loop().run_in_executor(None, holding.wait)
    waiting = asyncio.ensure_future(second.run(short_write))
    await asyncio.sleep(0.2)  # time enough for the second to begin, were it not waiting its turn
    assert order == ["first began"]
    release.set()
    await asyncio.gather(writing, waiting)
    assert order == ["first began", "first done", "second began"]
    assert len(await second.read(lambda s: s.exec(select(Unit)).all())) == 2
    first.close()
    second.close()
