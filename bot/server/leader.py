"""Which process of a deployment runs the duties that must run once: the push plan, the outbox
sender, the media worker, the re-handler and the daily backup.

Every `weekbot serve` process (each worker of ``--workers N``, each instance sharing the data
directory) serves HTTP; the one holding an exclusive ``flock`` on ``<data_dir>/weekbot-leader.lock``
also runs the duties. The others try again every CLAIM_EVERY_SECONDS, so when the leader dies
(however: the kernel drops the lock with the process) another takes over within about a second.
The duties are safe to overlap for that moment (the outbox's unique keys and row claims, the job
table's leases, the backup day claimed in the database): the lock keeps them to one process, it
is not what makes them correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path

log = logging.getLogger(__name__)

LEADER_LOCK_FILE = "weekbot-leader.lock"
CLAIM_EVERY_SECONDS = 1.0

# Starts the duties; returns what stops them.
StartDuties = Callable[[], Awaitable[Callable[[], Awaitable[None]]]]


class Role(StrEnum):
    LEADER = "leader"
    FOLLOWER = "follower"


class LeaderLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LEADER_LOCK_FILE
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if no other process has it. The descriptor is this process's own (not
        inherited by children, not shared with the other workers), so the lock is too."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Leadership:
    """Claims the leader lock until it has it, then runs the duties until ``stop``."""

    def __init__(self, data_dir: Path, start_duties: StartDuties, on_role: Callable[[Role], None]) -> None:
        self.lock = LeaderLock(data_dir)
        self.start_duties = start_duties
        self.on_role = on_role
        self.stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.on_role(Role.FOLLOWER)
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        self.stopping.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self.lock.try_acquire():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), CLAIM_EVERY_SECONDS)
            if self.stopping.is_set():
                return
        try:
            log.info("this process (pid %d) leads: it runs the scheduler and the workers", os.getpid())
            self.on_role(Role.LEADER)
            stop_duties = await self.start_duties()
            try:
                await self.stopping.wait()
            finally:
                await stop_duties()
        finally:
            self.lock.release()
