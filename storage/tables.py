"""Importing this module registers every table with SQLModel's metadata (for create_all)."""

from storage import (
    backup_runs,
    callback_nonces,
    campaign_status,
    cards,
    dialogs,
    jobs,
    models,
    outbox,
    photos,
    push_skips,
    rehandling,
    web_sessions,
)

ALL_TABLE_MODULES = (
    models,
    dialogs,
    jobs,
    outbox,
    photos,
    campaign_status,
    web_sessions,
    backup_runs,
    callback_nonces,
    rehandling,
    push_skips,
    cards,
)
