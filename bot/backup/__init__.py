"""Backups: one ZIP holding the database and the photo store, and restoring it elsewhere.

``make_backup`` may run while the service runs and writes: the database copy is one consistent
snapshot (see bot.backup.databases), and it is taken before the photo files are read. Photo files
are content-addressed and written once before the row that names them is committed, so every
photo the snapshot refers to is already on disk when the trees are copied; photos that arrive
later are extra files no row names, which is harmless.

``restore_backup`` verifies every member against the manifest before it touches the target, and
refuses a target that holds data unless ``force`` is given. A SQLite backup restores only into
SQLite and a PostgreSQL backup only into PostgreSQL: moving between them is a data migration, not
a restore.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.backup.archive import (
    MANIFEST,
    ArchiveWriter,
    Manifest,
    extract_verified,
    install_trees,
    is_original_photo,
    read_manifest,
    tree_contents,
    tree_files,
)
from bot.backup.databases import (
    DATABASE_MEMBERS,
    BackupError,
    DatabaseFacts,
    Dialect,
    clear_postgres,
    copy_sqlite,
    dialect_of,
    dump_postgres,
    install_sqlite,
    postgres_contents,
    restore_postgres,
    sqlite_contents,
    sqlite_file,
)
from bot.config import Settings
from scheduler.clock import Clock, SystemClock

__all__ = ["BackupError", "Manifest", "make_backup", "restore_backup"]


def _weekbot_version() -> str:
    try:
        return version("weekbot")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def _copy_database(settings: Settings, dialect: Dialect, target: Path) -> DatabaseFacts:
    if dialect is Dialect.SQLITE:
        return copy_sqlite(sqlite_file(settings.database_url), target)
    return dump_postgres(settings.database_url, target)


def make_backup(settings: Settings, out: Path, *, clock: Clock | None = None) -> Path:
    """Write a backup of the configured database and data directory to ``out``; returns ``out``.

    The file appears whole or not at all (written beside ``out``, then renamed). ``clock`` dates
    the manifest in campaign time (default: the system clock).
    """
    clock = clock or SystemClock()
    created_at = clock.now().isoformat()
    dialect = dialect_of(settings.database_url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".weekbot-backup-") as work:
        database_copy = Path(work) / Path(DATABASE_MEMBERS[dialect]).name
        facts = _copy_database(settings, dialect, database_copy)
        partial = Path(work) / "archive.zip"
        with zipfile.ZipFile(partial, "w") as archive:
            writer = ArchiveWriter(archive)
            writer.add(database_copy, DATABASE_MEMBERS[dialect], compress=dialect is Dialect.SQLITE)
            for path, name in tree_files(settings.data_dir):
                writer.add(path, name, compress=False)  # JPEGs: deflating them gains nothing
            manifest = Manifest(
                weekbot_version=_weekbot_version(),
                created_at=created_at,
                dialect=dialect,
                database_member=DATABASE_MEMBERS[dialect],
                alembic_revision=facts.alembic_revision,
                row_counts=facts.row_counts,
                photo_count=sum(is_original_photo(name) for name in writer.members),
                members=writer.members,
            )
            archive.writestr(MANIFEST, manifest.to_json(), compress_type=zipfile.ZIP_DEFLATED)
        os.replace(partial, out)
    return out


def restore_backup(settings: Settings, archive: Path, force: bool = False) -> Manifest:
    """Restore ``archive`` into the configured database and data directory; returns its manifest.

    Raises BackupError, having changed nothing, when the archive is damaged, was made from the other
    kind of database, or the target holds data and ``force`` is not given.
    """
    archive = Path(archive)
    manifest = read_manifest(archive)
    dialect = dialect_of(settings.database_url)
    if manifest.dialect is not dialect:
        raise BackupError(
            f"{archive} holds a {manifest.dialect.value} database but the configured database is {dialect.value}; "
            f"restore it with a {manifest.dialect.value} database_url (moving between the two is not a restore)"
        )
    data_dir = settings.data_dir
    sqlite_path = sqlite_file(settings.database_url) if dialect is Dialect.SQLITE else None
    occupied = tree_contents(data_dir)
    occupied += sqlite_contents(sqlite_path) if sqlite_path else postgres_contents(settings.database_url)
    if occupied and not force:
        raise BackupError(
            "the target is not empty: " + "; ".join(occupied) + ". Restore into an empty data directory and "
            "database, or pass --force to replace what is there"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    # Staged inside the data directory, so moving the trees into place is a rename.
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as work:
        staging = Path(work)
        extract_verified(archive, manifest, staging)
        staged_database = staging / manifest.database_member
        if sqlite_path is not None:
            install_sqlite(staged_database, sqlite_path)
        else:
            if occupied:
                clear_postgres(settings.database_url)
            restore_postgres(settings.database_url, staged_database)
        install_trees(staging, data_dir)
    return manifest
