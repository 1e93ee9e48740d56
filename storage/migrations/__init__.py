"""The database schema's history as Alembic revisions (versions/), applied at start-up.

Every command that opens the database brings it to the newest revision first
(storage.db.Database.create_all -> runner.upgrade) and refuses a database a newer weekbot has
upgraded. A database made before Alembic (tables, no alembic_version) goes through the baseline
revision, which brings it to the shipped tables (storage.migrations.adopt) and records it there.
How to add a revision: README.md beside this file. No alembic.ini: runner.py configures Alembic.

This module stays free of Alembic imports so the CLI can name these errors cheaply.
"""

from __future__ import annotations


class SchemaMismatch(RuntimeError):
    """The database cannot be brought to what this code needs; nothing was changed."""


class DatabaseTooNew(SchemaMismatch):
    """The database is at a revision this code does not know: a newer weekbot upgraded it."""
