"""Core tables: units, liaisons, inbound messages, activities, audit log, access tokens."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import LocalDateTime


def local_datetime_column(**kwargs: Any) -> Any:
    """A field stored with LocalDateTime (aware in, Asia/Shanghai out); kwargs go to the Column."""
    return Field(sa_column=Column(LocalDateTime(), **kwargs))


class Role(StrEnum):
    """``Liaison.role``: what a bound person may do."""

    LIAISON = "liaison"  # reports for a unit
    ADMIN = "admin"  # the contact person: progress, reminders, exports
    UNBOUND = "unbound"  # sent 解绑: the row stays because records and photos name it


class RecordStatus(StrEnum):
    """``Activity.status``: withdrawn records are kept (恢复 brings one back), never counted."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class ChannelKind(StrEnum):
    """Where a message comes from or a push goes: ``Liaison.channel``, the outbox's channel."""

    WECOM = "wecom"
    MP = "mp"  # the WeChat Official Account
    GROUP_ROBOT = "group_robot"  # a WeCom group robot (pushes only)


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    kind: str  # chair | member | county


class Liaison(SQLModel, table=True):
    """A person bound to a unit on one channel. role: liaison | admin (the contact person) |
    unbound (sent 解绑; the row stays as the reporter of what they filed)."""

    __table_args__ = (UniqueConstraint("channel", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str  # wecom | mp
    user_id: str = Field(index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = ""
    phone: str = ""
    role: str = Role.LIAISON
    bound_at: datetime = local_datetime_column(nullable=False)
    # Last time the user wrote to us: the Official Account's 48 h customer-service window.
    last_seen_at: datetime | None = local_datetime_column(nullable=True)


class InboundMessage(SQLModel, table=True):
    """Every accepted callback, stored before it is handled; dedupe_key makes retries no-ops."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    dedupe_key: str = Field(unique=True)
    user_id: str = Field(index=True)
    msg_type: str
    created_at: datetime = local_datetime_column(nullable=False)  # WeChat's CreateTime
    received_at: datetime = local_datetime_column(nullable=False)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    raw_xml: str = Field(sa_column=Column(Text, nullable=False))
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    handled_at: datetime | None = local_datetime_column(nullable=True)


class Activity(SQLModel, table=True):
    """One reported activity, on one day or over several (4月22日至24日). status: active | withdrawn."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    liaison_id: int | None = Field(default=None, foreign_key="liaison.id")
    message_id: int | None = Field(default=None, foreign_key="inboundmessage.id")
    date: dt.date = Field(index=True)  # the first day
    # The last day of a multi-day activity; None (or ``date``) for one day: rows from before
    # activities had spans are one-day ones as they stand.
    end_date: dt.date | None = None
    type: str
    location: str | None = None
    materials: int | None = None
    consultations: int | None = None
    participants: int | None = None
    enterprises: int | None = None
    articles: int | None = None
    # Count fields that were stated approximately (约/余/多/来): {"materials": true}
    approximate: dict[str, bool] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default=RecordStatus.ACTIVE, index=True)
    created_at: datetime = local_datetime_column(nullable=False)
    updated_at: datetime = local_datetime_column(nullable=False)

    @property
    def last_day(self) -> dt.date:
        return self.end_date if self.end_date is not None and self.end_date > self.date else self.date

    def covers(self, day: dt.date) -> bool:
        return self.date <= day <= self.last_day

    def days(self) -> list[dt.date]:
        """Every day the activity runs, first to last."""
        return [self.date + dt.timedelta(days=n) for n in range((self.last_day - self.date).days + 1)]


class Via(StrEnum):
    """How an audited change came about: ``AuditLog.detail["how"]``."""

    CONFIG = "config"  # the contact person's account named in config
    INVITE_CODE = "invite_code"
    ANSWER = "answer"  # an answer to the bot's question
    LINK = "link"  # a shared article link
    TEXT = "text"  # typed in the chat
    LOCATION = "location"  # a shared location
    ADMIN = "admin"  # by the contact person on a unit's behalf
    LIAISON = "liaison"  # by the unit's own liaison
    WEB = "web"  # on the desk


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = local_datetime_column(nullable=False)
    actor: str  # "wecom:userid", "system", "admin:..."
    action: str  # bind, unbind, activity.create, activity.update, ...
    target: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AccessToken(SQLModel, table=True):
    """Shared access-token cache: several processes use one token; one refreshes at a time."""

    app_key: str = Field(primary_key=True)  # e.g. "wecom:<corp_id>:<agent_id>", "mp:<app_id>"
    token: str = ""
    expires_at: datetime | None = local_datetime_column(nullable=True)
    refreshing_until: datetime | None = local_datetime_column(nullable=True)
