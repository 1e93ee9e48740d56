"""One process at a time writes a data directory.

Two processes on one data directory (say `weekbot demo` while `weekbot serve` runs) would compete
for the same photo jobs, each asking its own WeChat platform for the other's media. `serve` and
`demo` therefore hold an OS lock on ``<data_dir>/weekbot.lock`` for their whole life; a second one
stops at once with a message naming the holder. ``flock`` belongs to the open file, so the kernel
drops it when the process ends however it ends (kill -9 included): no stale lock to clean up.

Commands that only read (`export`, `send-summary`, `units codes`, `plan`, `parse`) take no lock: they
must work beside the running service, and SQLite's WAL lets them read while it writes.

The lock is about the data directory (the SQLite file, the photo store). The worker processes of
one `serve --workers N` inherit their parent's lock (the open file, passed to them), so they are
one holder. Instances that share a PostgreSQL database and a photo store (bot.server.serve, ``shared``)
take it with ``LOCK_SH`` instead, as one group: each other's companions, still refused by (and
refusing) a `demo`, a `restore` or a serve on SQLite or the sandbox, which take it exclusively.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings

LOCK_FILE = "weekbot.lock"


class DataDirBusy(Exception):
    """Another process holds the data directory."""

    def __init__(self, data_dir: Path, holder: str) -> None:
        super().__init__(
            f"the data directory {data_dir} is in use by another weekbot process ({holder}); "
            "stop that one first, or give this one its own WEEKBOT_DATA_DIR"
        )


def shares_data_dir(settings: Settings) -> bool:
    """Whether instances may share the data directory: on PostgreSQL with the sandbox off. On
    SQLite one `serve` (with its workers) owns the file; a sandbox platform lives in its serve, and
    a second one would hold other tokens and media."""
    return not settings.sandbox.enabled and not settings.database_url.startswith("sqlite")


@contextmanager
def hold_data_dir(data_dir: Path, command: str, *, shared: bool = False) -> Iterator[int]:
    """Hold ``data_dir`` for this process until the block ends (``shared``: together with other
    shared holders); raises DataDirBusy if another has it. Yields the lock's file descriptor,
    which a process's children may inherit to hold it with it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirBusy(data_dir.resolve(), _holder(fd)) from None
        # Who holds it, for the message the next one prints. The file itself stays: removing it
        # on exit would let a third process lock a new file while a second still waits on the old.
        # Of shared holders the latest is named.
        said = f"pid {os.getpid()}, weekbot {command}" + (" (shared)" if shared else "")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{said}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    said = os.pread(fd, 200, 0).decode(errors="replace").strip()
    return said or "pid unknown"
