"""Engine and sessions. SQLite (WAL) by default, PostgreSQL accepted (the engine: storage.engine).

A commit is on disk when it returns: SQLite runs WAL with ``synchronous=FULL`` (the WAL is fsync'd
at every commit; NORMAL syncs only at checkpoints, so a power cut could roll back transactions
whose webhook answer already went out, and WeChat does not resend an answered message), and every
PostgreSQL connection sets ``synchronous_commit=on`` (a server configured ``off`` would acknowledge
before its WAL is flushed). The cost of the sync is shared: bot.pipeline.group_commit commits the messages that
arrive together in one transaction.

Database work is synchronous SQLAlchemy run off the event loop: ``await db.run(fn)`` calls
``fn(session)`` in a worker thread and commits. SQLite gets a single writer thread so writes never
contend for the file lock; PostgreSQL gets a small pool. ``await db.read(fn)`` runs read-only work
(dashboard pages, exports) on separate threads: SQLite's WAL lets them read a consistent snapshot
beside the writer, so a slow page never holds up the webhook.

Several processes on one SQLite file (``weekbot serve --workers N``) take turns at ``run``: each
holds an exclusive lock on ``<database>.writer-lock`` for its whole transaction. SQLite itself
would make the others wait too, but by sleeping in its busy handler (1, 2, 5 … up to 100 ms a
sleep) and retrying, so a writer often slept on after the file was free: the kernel wakes a
process waiting for the lock file the moment the one before releases it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import TypeVar

from sqlalchemy import inspect
from sqlmodel import Session

import storage.tables  # noqa: F401  (every table registered: the models the revisions must match)
from storage.engine import make_engine, sqlite_file
from storage.migrations import runner

T = TypeVar("T")

# The largest value every integer column holds on both databases: SQLModel's ``int`` columns are
# INTEGER, 32 bits on PostgreSQL (64 on SQLite). No row id or page number can be larger.
MAX_INTEGER = 2**31 - 1


def parse_integer(text: str) -> int | None:
    """``text`` as a number an integer column can hold, or None unless it is plain ASCII decimal
    digits (no sign, space or other script's digits, all of which ``int`` or ``str.isdigit`` take)
    within MAX_INTEGER. Ids from URLs and forms go through here, so a query never sees a value the
    database driver would reject with an overflow."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_INTEGER)):
        return None
    value = int(text)
    return value if value <= MAX_INTEGER else None


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = url.startswith("sqlite")
        self._executor = ThreadPoolExecutor(max_workers=1 if self.is_sqlite else 4, thread_name_prefix="db")
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-read")
        path = sqlite_file(url)
        self._turn_path = f"{path}.writer-lock" if path else None

    def create_all(self) -> list[str]:
        """Bring the database to this code's tables: apply the Alembic revisions it lacks
        (storage.migrations); returns them ("id (message)"), [] when it was up to date. Raises
        DatabaseTooNew for a database a newer weekbot upgraded, SchemaMismatch (changing nothing)
        for an older one the baseline cannot bridge."""
        return runner.upgrade(self.engine)

    def upgrade_due(self) -> bool:
        """An existing database (it has tables) lacks revisions: what a backup should precede."""
        with self.engine.connect() as conn:
            return bool(inspect(conn).get_table_names()) and bool(runner.pending(conn))

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def call(self, fn: Callable[[Session], T]) -> T:
        """Run fn in a session and commit (synchronously; for CLI and worker threads)."""
        with self.session() as session:
            result = fn(session)
            session.commit()
            return result

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Run fn in a session on the database thread and commit, without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call_in_turn, fn)

    def _call_in_turn(self, fn: Callable[[Session], T]) -> T:
        with self._writer_turn() if self._turn_path else nullcontext():
            return self.call(fn)

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """This process's turn at the SQLite file among the processes sharing it (see above).
        Only ``run`` takes it, on the one writer thread: a CLI's ``call`` still just waits in
        SQLite's busy handler, as before."""
        assert self._turn_path is not None
        fd = os.open(self._turn_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _read(self, fn: Callable[[Session], T]) -> T:
        # Closing without commit ends the transaction; the loaded objects stay readable
        # (a rollback would expire them).
        with self.session() as session:
            return fn(session)

    async def read(self, fn: Callable[[Session], T]) -> T:
        """Run read-only fn in a session on a reader thread (never commits)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read, fn)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.engine.dispose()
