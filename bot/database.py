"""Opening the database as every command does: created or upgraded first, the configured units in it.

Apart from bot.runtime so that `weekbot serve --workers N`'s supervisor, which migrates the
database once and serves nothing, does not load the web app, the parser and the channels.
"""

from __future__ import annotations

import logging

from bot.config import Settings
from scheduler.clock import Clock, SystemClock
from storage.db import Database
from storage.seed import sync_units

log = logging.getLogger(__name__)


def open_database(settings: Settings, clock: Clock | None = None) -> Database:
    """Open (and create/upgrade) the database, with the configured units in it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    if settings.backup.enabled and db.upgrade_due():
        backup_before_upgrade(settings, clock or SystemClock())
    # The one place start-up changes the database's shape (Alembic revisions, storage.migrations).
    applied = db.create_all()
    if applied:
        log.warning("database upgraded: applied %s", ", ".join(applied))
    db.call(lambda session: sync_units(session, [(u.name, u.kind.value) for u in settings.units]))
    return db


def backup_before_upgrade(settings: Settings, clock: Clock) -> None:
    """With [backup] on, an upgrade of an existing database starts from a fresh backup: a revision
    that goes wrong on real data can then be undone with `weekbot restore`."""
    from bot.backup import make_backup  # only when an upgrade is due: the backup's imports are not small

    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    folder = settings.backup.directory(settings.data_dir)
    out = make_backup(settings, folder / f"weekbot-before-upgrade-{stamp}.zip", clock=clock)
    log.warning("database upgrade due: backed up first to %s", out)
