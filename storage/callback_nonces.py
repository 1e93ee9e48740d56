"""The (timestamp, nonce) pairs of plaintext-signed callbacks, each with the message it carried.

The Official Account's plaintext signature covers token, timestamp and nonce but not the body. A
pair is accepted once: for the message it first came with, so WeChat's own retries (the same
query and the same message, re-sent when no answer came within 5 s) still reach the stored reply,
while the same signed query with any other message is refused. Kept in the database, not in
memory, so it holds across restarts and worker processes; rows older than the freshness window
are useless (their timestamp is refused anyway) and are purged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint, delete
from sqlmodel import Field, Session, SQLModel, select

from storage.engine import insert_ignoring_conflicts, table_of
from storage.models import local_datetime_column


class CallbackNonce(SQLModel, table=True):
    __tablename__ = "callback_nonce"
    __table_args__ = (UniqueConstraint("channel", "query_timestamp", "nonce"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    query_timestamp: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    nonce: str
    dedupe_key: str  # the message the pair first came with (InboundMessage.dedupe_key)
    seen_at: datetime = local_datetime_column(nullable=False)


def claim_nonce(
    session: Session, *, channel: str, timestamp: int, nonce: str, dedupe_key: str, now: datetime, forget_before: int
) -> bool:
    """Record the pair for this message; False if it is already recorded for another message.

    One INSERT … ON CONFLICT DO NOTHING: two requests racing with the same pair cannot both
    record it (on PostgreSQL the second waits for the first's commit, then reads its row).
    """
    table = table_of(CallbackNonce)
    connection = session.connection()
    connection.execute(delete(table).where(table.c.query_timestamp < forget_before))
    insert = insert_ignoring_conflicts(connection.dialect.name, table, ["channel", "query_timestamp", "nonce"])
    values = {
        "channel": channel,
        "query_timestamp": timestamp,
        "nonce": nonce,
        "dedupe_key": dedupe_key,
        "seen_at": now,
    }
    if connection.execute(insert, values).first() is not None:
        return True
    first = session.exec(
        select(CallbackNonce.dedupe_key).where(
            CallbackNonce.channel == channel,
            CallbackNonce.query_timestamp == timestamp,
            CallbackNonce.nonce == nonce,
        )
    ).one()
    return first == dedupe_key
