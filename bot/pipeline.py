"""Store, de-duplicate, handle: the path every accepted inbound message takes.

The message row is committed before any handler runs, so nothing WeChat delivered is lost even
if handling fails; its dedupe_key is unique, so a retry (WeChat retries three times when it does
not get an answer in 5 s) or a replay returns the stored reply and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.prereading import pre_read
from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from handlers.prereading import PreReading
from scheduler.clock import Clock
from storage.db import Database, insert_ignoring_conflicts
from storage.models import InboundMessage

log = logging.getLogger(__name__)

BUSY_REPLY = "系统繁忙，刚才的消息已保存，请稍后再发一次或联系联系人。"


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

    async def process(self, msg: Inbound) -> str | None:
        now = self.clock.now()
        pre_reading = await pre_read(self.db, self.dispatcher.deps, msg, now)
        return await self.db.run(lambda session: self._process(session, msg, now, pre_reading))

    def _process(self, session: Session, msg: Inbound, now: datetime, pre_reading: PreReading | None) -> str | None:
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
            session.commit()
        except Exception:
            session.rollback()
            log.exception("handling %s failed; stored unhandled", msg.dedupe_key)
            return BUSY_REPLY
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
