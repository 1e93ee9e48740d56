"""Store, de-duplicate, handle: the path every accepted inbound message takes.

The message row is committed before any handler runs, so nothing WeChat delivered is lost even
if handling fails; its dedupe_key is unique, so a retry (WeChat retries three times when it does
not get an answer in 5 s) or a replay returns the stored reply and changes nothing.

When handling fails, its writes are rolled back, the row stays unhandled and process() raises
HandlingFailed: the webhook answers 503 so WeChat retries, and a retry handles the stored row.
What is still unhandled after WeChat's retries, bot.rehandler handles in the background.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.prereading import pre_read
from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from handlers.prereading import PreReading
from handlers.router import Reply
from scheduler.clock import Clock
from storage.db import Database, insert_ignoring_conflicts
from storage.models import InboundMessage

log = logging.getLogger(__name__)

# Called inside the transaction that records a reply (session, message id, reply), so whatever it
# writes commits with the handling or not at all.
OnHandled = Callable[[Session, int, Reply], None]


class HandlingFailed(Exception):
    """The message is stored but its handling failed (and was rolled back); it is still unhandled."""


class MessagePipeline:
    def __init__(self, db: Database, dispatcher: Dispatcher, clock: Clock) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.clock = clock
        # Built once (per message SQLAlchemy then only binds values): one INSERT … ON CONFLICT DO
        # NOTHING, so concurrent retries cannot both insert, and the reply's UPDATE.
        # Core statements on the table (not the ORM entity, whose bulk machinery costs more
        # than the SQL itself).
        table = InboundMessage.__table__
        self._insert = insert_ignoring_conflicts(db.engine.dialect.name, table, ["dedupe_key"])
        self._set_reply = (
            update(table)
            .where(table.c.id == bindparam("message_id"))
            .values(reply=bindparam("reply_text"), handled_at=bindparam("handled"))
        )

    async def process(self, msg: Inbound, on_handled: OnHandled | None = None) -> str | None:
        """Store (once), then handle unless handled before; the reply. Raises HandlingFailed."""
        now = self.clock.now()
        pre_reading = await pre_read(self.db, self.dispatcher.deps, msg, now)
        return await self.db.run(lambda session: self._process(session, msg, now, pre_reading, on_handled))

    def _process(
        self,
        session: Session,
        msg: Inbound,
        now: datetime,
        pre_reading: PreReading | None,
        on_handled: OnHandled | None,
    ) -> str | None:
        message_id = self._store(session, msg, now)
        received_at = now
        # Whoever handles the message holds its row's lock until the reply is written, so a retry
        # racing on another worker (PostgreSQL) waits, then finds it handled. The store has
        # committed, so the first delivery must take the lock too: between that commit and its
        # reply a retry could otherwise lock the row, see it unhandled and handle it again.
        # SQLite ignores FOR UPDATE, and needs none: one writer thread runs whole transactions.
        if message_id is None or not self.db.is_sqlite:
            row = session.exec(
                select(InboundMessage).where(InboundMessage.dedupe_key == msg.dedupe_key).with_for_update()
            ).one()
            if row.handled_at is not None:  # a retry, a replay, or a retry that waited for the first
                return row.reply or None
            message_id, received_at = row.id, row.received_at
        try:
            reply = self.dispatcher.handle(session, msg, received_at, message_id, pre_reading)
            session.connection().execute(
                self._set_reply, {"message_id": message_id, "reply_text": reply or "", "handled": received_at}
            )
            if on_handled is not None:
                on_handled(session, message_id, reply)
            session.commit()
        except Exception as exc:
            session.rollback()
            log.exception("handling %s failed; stored unhandled", msg.dedupe_key)
            raise HandlingFailed(f"{type(exc).__name__}: {exc}") from exc
        return reply

    def _store(self, session: Session, msg: Inbound, now: datetime) -> int | None:
        """Insert and commit the message; its id, or None if its dedupe_key is already stored."""
        values = {
            "channel": msg.channel,
            "dedupe_key": msg.dedupe_key,
            "user_id": msg.user_id,
            "msg_type": msg.msg_type,
            "created_at": msg.created_at,
            "received_at": now,
            "content": msg.content,
            "raw_xml": msg.raw_xml,
        }
        message_id = session.connection().execute(self._insert, values).scalar()
        session.commit()
        return message_id
