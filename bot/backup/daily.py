"""The daily backup inside `weekbot serve` ([backup] enabled): once a campaign day at or after
[backup] time, an archive ``weekbot-<day>.zip`` in the backup folder; archives older than
keep_days are deleted. A process that starts after that day's time makes the day's backup at once.

The day is claimed in the database first (storage.backup_runs), so processes sharing the data
make it once between them. Times are the injected clock's, so a rehearsal on a virtual clock
makes one backup per virtual day and tests need no sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.backup import make_backup
from bot.config import Settings
from bot.exports import size_label
from scheduler.clock import Clock, VirtualClock
from storage.backup_runs import claim_backup, finish_backup
from storage.db import Database

log = logging.getLogger(__name__)

ARCHIVE_NAME = re.compile(r"weekbot-(\d{4}-\d{2}-\d{2})\.zip")
LONGEST_WAIT = 60.0  # real seconds between looks at the clock, at most (it may be moved or jump)
SHORTEST_WAIT = 0.01
RETRY_WAIT = 30.0  # real seconds after the database was away when claiming the day


def archive_name(day: date) -> str:
    return f"weekbot-{day.isoformat()}.zip"


def prune(folder: Path, today: date, keep_days: int) -> list[Path]:
    """Delete the daily archives from before the last ``keep_days`` days (today counts); returns
    them. Only files named as the daily backup names them are considered."""
    oldest_kept = today - timedelta(days=keep_days - 1)
    removed = []
    for path in sorted(folder.glob("weekbot-*.zip")):
        matched = ARCHIVE_NAME.fullmatch(path.name)
        if matched and date.fromisoformat(matched.group(1)) < oldest_kept:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@dataclass
class DailyBackup:
    settings: Settings
    db: Database
    clock: Clock
    # The campaign day this process last dealt with (made the backup, or saw another process had).
    handled_day: date | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def folder(self) -> Path:
        return self.settings.backup.directory(self.settings.data_dir)

    def _due_at(self, now: datetime) -> datetime:
        """When the next backup is due: today's time unless today is handled, else tomorrow's."""
        day = now.date() if self.handled_day != now.date() else now.date() + timedelta(days=1)
        return datetime.combine(day, self.settings.backup.time, tzinfo=now.tzinfo)

    async def run_due(self) -> Path | None:
        """Make today's backup if it is due and no process made it yet; returns the archive."""
        now = self.clock.now()
        if self._due_at(now) > now:
            return None
        day = now.date()
        claimed = await self.db.run(lambda session: claim_backup(session, day, now))
        self.handled_day = day
        if not claimed:
            return None
        out = self.folder / archive_name(day)
        started = time.monotonic()
        try:
            await asyncio.to_thread(make_backup, self.settings, out, clock=self.clock)
        except Exception as exc:
            await self._finish(day, archive=None, error=f"{type(exc).__name__}: {exc}")
            log.error("daily backup for %s failed: %s", day, exc)
            return None
        removed = prune(self.folder, day, self.settings.backup.keep_days)
        await self._finish(day, archive=str(out), error=None)
        log.info(
            "daily backup for %s: %s (%s, %.1f s); removed %d archive(s) older than %d days",
            day,
            out,
            size_label(out.stat().st_size),
            time.monotonic() - started,
            len(removed),
            self.settings.backup.keep_days,
        )
        return out

    async def _finish(self, day: date, *, archive: str | None, error: str | None) -> None:
        now = self.clock.now()
        await self.db.run(lambda session: finish_backup(session, day, now, archive=archive, error=error))

    def _wait_seconds(self) -> float:
        """Real seconds until the next backup is due (bounded: the clock may be set or jump)."""
        now = self.clock.now()
        speed = self.clock.speed if isinstance(self.clock, VirtualClock) else 1.0
        remaining = (self._due_at(now) - now).total_seconds() / speed
        return min(LONGEST_WAIT, max(SHORTEST_WAIT, remaining))

    async def _loop(self) -> None:
        while not self.stopping.is_set():
            wait = None
            try:
                await self.run_due()
            except Exception:
                log.exception("daily backup check failed; looking again in %.0f s", RETRY_WAIT)
                wait = RETRY_WAIT
            with suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), wait or self._wait_seconds())

    def start(self) -> DailyBackup:
        self.task = asyncio.create_task(self._loop(), name="daily-backup")
        log.info(
            "daily backup on: at %s into %s, keeping %d days",
            self.settings.backup.time,
            self.folder,
            self.settings.backup.keep_days,
        )
        return self

    async def stop(self) -> None:
        """Stop looking; a backup being written is finished first."""
        self.stopping.set()
        if self.task is not None:
            with suppress(asyncio.CancelledError):
                await self.task
