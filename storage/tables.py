"""Importing this module registers every table with SQLModel's metadata (for create_all)."""

from storage import campaign_status, dialogs, jobs, models, outbox, photos, push_skips, web_sessions

ALL_TABLE_MODULES = (models, dialogs, jobs, outbox, photos, campaign_status, push_skips, web_sessions)
