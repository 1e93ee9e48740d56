"""Alembic's environment: run by storage.migrations.runner on a connection it opened and holds
in a transaction (config.attributes["connection"]), never from an alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every model registered: the target autogenerate compares)
from storage.migrations.runner import render_item

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite alters a table by rebuilding it; batch operations do that for every revision.
    render_as_batch=connection.dialect.name == "sqlite",
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
