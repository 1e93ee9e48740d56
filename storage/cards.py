"""Template cards sent to WeCom members and what became of them.

A card's task (WeCom's ``task_id``) is a row here from the moment its push is queued, in the same
transaction as the outbox row, so a click always finds what the card was about. WeCom hands out a
``ResponseCode`` when the card is sent and again with every click; each one may update the card
once, within 72 hours. The newest code is kept with its issue time, and marked used when an update
is queued, so no code is ever spent twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import local_datetime_column

RESPONSE_CODE_LIFE = timedelta(hours=72)


class CardTask(SQLModel, table=True):
    task_id: str = Field(primary_key=True)  # WeCom task_id: [A-Za-z0-9_@-], at most 128 bytes
    channel: str
    user_id: str = Field(index=True)
    kind: str  # scheduler.cards.CardKind
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = local_datetime_column(nullable=False)
    expires_at: datetime = local_datetime_column(nullable=False)  # clicks after this get a polite no
    response_code: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    response_code_at: datetime | None = local_datetime_column(nullable=True)
    response_code_used_at: datetime | None = local_datetime_column(nullable=True)
    answer: str | None = None  # the button key that settled the card
    answered_at: datetime | None = local_datetime_column(nullable=True)


def add_task(
    session: Session,
    *,
    task_id: str,
    channel: str,
    user_id: str,
    kind: str,
    now: datetime,
    expires_at: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Record a card's task unless it exists (a push queued twice is one card)."""
    if session.get(CardTask, task_id) is None:
        session.add(
            CardTask(
                task_id=task_id,
                channel=channel,
                user_id=user_id,
                kind=kind,
                data=data or {},
                created_at=now,
                expires_at=expires_at,
            )
        )
        session.flush()


def keep_response_code(session: Session, task_id: str, code: str, issued_at: datetime) -> None:
    """WeCom issued ``code`` for this card (at send or with a click): the newest one is the one to use."""
    task = session.get(CardTask, task_id)
    if task is None or not code or task.response_code == code:
        return
    task.response_code, task.response_code_at, task.response_code_used_at = code, issued_at, None
    session.add(task)


def spend_response_code(task: CardTask, now: datetime) -> str | None:
    """The card's live ResponseCode, marked used; None when there is none (spent, expired, never sent)."""
    if task.response_code is None or task.response_code_used_at is not None or task.response_code_at is None:
        return None
    if now - task.response_code_at >= RESPONSE_CODE_LIFE:
        return None
    task.response_code_used_at = now
    return task.response_code


def open_tasks(session: Session, channel: str, user_id: str, kinds: tuple[str, ...], now: datetime) -> list[CardTask]:
    """The member's unanswered, unexpired cards of ``kinds``, newest first."""
    return list(
        session.exec(
            select(CardTask)
            .where(
                CardTask.channel == channel,
                CardTask.user_id == user_id,
                col(CardTask.kind).in_(kinds),
                col(CardTask.answered_at).is_(None),
                col(CardTask.expires_at) > now,
            )
            .order_by(col(CardTask.created_at).desc())
        ).all()
    )
