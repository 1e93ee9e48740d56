"""One-time login links to the web desk (后台), and the desk sessions they start.

``后台`` in chat issues a link; opening it once, before it expires, starts a browser session
(a signed cookie, see bot.dashboard.auth, naming a DeskSession row). Only the SHA-256 of either
token is stored, so the tables or a backup of them cannot be used to log in. The role and unit are
copied from the binding when the link is issued, and checked against the binding again when it is
used and on every request.

A session is live only while its row is: the server, not the cookie, decides. Logging out ends the
row, so every copy of the cookie stops working at once (a signed cookie alone would stay valid
until it expired).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import local_datetime_column

TOKEN_BYTES = 32


class LoginLink(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)  # hex SHA-256 of the token sent in chat
    channel: str
    user_id: str
    unit_id: int = Field(foreign_key="unit.id")
    role: str  # admin | liaison, as bound when the link was issued
    created_at: datetime = local_datetime_column(nullable=False)
    expires_at: datetime = local_datetime_column(nullable=False)
    used_at: datetime | None = local_datetime_column(nullable=True)


class DeskSession(SQLModel, table=True):
    """A browser session on the desk, started by redeeming a LoginLink."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)  # hex SHA-256 of the token inside the session cookie
    channel: str
    user_id: str
    started_at: datetime = local_datetime_column(nullable=False)
    expires_at: datetime = local_datetime_column(nullable=False)
    ended_at: datetime | None = local_datetime_column(nullable=True)  # logged out


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login_link(
    session: Session, *, channel: str, user_id: str, unit_id: int, role: str, now: datetime, ttl: timedelta
) -> str:
    """Store a new link and return its token (the only time the token exists in clear)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = LoginLink(
        token_hash=hash_token(token),
        channel=channel,
        user_id=user_id,
        unit_id=unit_id,
        role=role,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(link)
    session.flush()
    return token


def usable_login_link(session: Session, token: str, now: datetime) -> LoginLink | None:
    """The link if it is known, unused and not expired; looking does not use it up."""
    return session.exec(
        select(LoginLink).where(
            LoginLink.token_hash == hash_token(token),
            col(LoginLink.used_at).is_(None),
            col(LoginLink.expires_at) > now,
        )
    ).first()


def redeem_login_link(session: Session, token: str, now: datetime) -> LoginLink | None:
    """Use the link up and return it; None when unknown, expired or already used.

    One conditional UPDATE, so two clicks racing (in one process or two) cannot both win.
    """
    token_hash = hash_token(token)
    claimed = session.execute(
        update(LoginLink)
        .where(
            col(LoginLink.token_hash) == token_hash,
            col(LoginLink.used_at).is_(None),
            col(LoginLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.exec(select(LoginLink).where(LoginLink.token_hash == token_hash)).one()


def start_desk_session(session: Session, *, channel: str, user_id: str, now: datetime, ttl: timedelta) -> str:
    """Store a new session and return its token (for the cookie; stored only as its hash)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        DeskSession(
            token_hash=hash_token(token), channel=channel, user_id=user_id, started_at=now, expires_at=now + ttl
        )
    )
    session.flush()
    return token


def live_desk_session(session: Session, token: str, now: datetime) -> DeskSession | None:
    """The session if it is known, not ended and not expired."""
    return session.exec(
        select(DeskSession).where(
            DeskSession.token_hash == hash_token(token),
            col(DeskSession.ended_at).is_(None),
            col(DeskSession.expires_at) > now,
        )
    ).first()


def end_desk_session(session: Session, token: str, now: datetime) -> bool:
    """End the session (logging out); True when a live session was ended."""
    ended = session.execute(
        update(DeskSession)
        .where(col(DeskSession.token_hash) == hash_token(token), col(DeskSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return ended.rowcount == 1  # type: ignore[attr-defined]
