"""Per-user dialog state, persisted so a restart in the middle of a question loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.models import local_datetime_column


class DialogState(SQLModel, table=True):
    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    state: str  # e.g. "ask_location"
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    expires_at: datetime = local_datetime_column(nullable=False)
