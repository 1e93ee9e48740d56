"""Processes sharing one SQLite file take turns at writing (storage.db): SQLite only, since on
PostgreSQL writers share the database through its row locks and take no turns."""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.pipeline.group_commit import MessagePipeline
from storage.db import Database
from storage.engine import sqlite_file
from storage.models import Activity, Unit
from tests.harness import Harness, make_settings


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


async def test_messages_arriving_while_a_worker_waits_for_its_turn_join_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another worker holds the turn, the messages that reach this one queue into the batch
    it writes once its turn comes: one transaction and one sync, not a turn for the first message
    and another for the rest (bot.pipeline.group_commit)."""
    async with Harness(make_settings(tmp_path)) as bot:
        await bot.bound("wang", "市商务局")
        pipeline = bot.runtime.pipeline
        batches: list[int] = []
        transaction = MessagePipeline._transaction

        def counted(self: MessagePipeline, session: Session, batch: list[object]) -> object:
            batches.append(len(batch))
            return transaction(self, session, batch)  # type: ignore[arg-type]

        monkeypatch.setattr(MessagePipeline, "_transaction", counted)
        database = sqlite_file(bot.settings.database_url)
        other_worker = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(other_worker, fcntl.LOCK_EX)  # another worker's turn
        user = bot.wecom("wang")
        texts = [f"今天在新华路商圈开展集中宣传，发放资料{100 + n}份" for n in range(3)]
        xmls = [user.xml(bot.clock.now(), "text", {"Content": t}, msg_id=9001 + n) for n, t in enumerate(texts)]
        posts = [asyncio.ensure_future(user.post(xmls[0], bot.clock.now()))]
        while pipeline._writing is None:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the writer thread is now waiting for the turn
        posts += [asyncio.ensure_future(user.post(xml, bot.clock.now())) for xml in xmls[1:]]
        while len(pipeline._waiting) < 2:
            await asyncio.sleep(0.01)
        os.close(other_worker)  # the other worker's turn ends
        assert [status for status, _ in await asyncio.gather(*posts)] == [200, 200, 200]
        assert batches == [3]
        assert sorted(a.materials for a in bot.rows(Activity)) == [100, 101, 102]
