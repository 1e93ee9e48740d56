"""Store, de-duplicate, handle: the path every accepted inbound message takes.

The message row is committed before any handler runs, so nothing WeChat delivered is lost even
if handling fails; its dedupe_key is unique, so a retry (WeChat retries three times when it does
not get an answer in 5 s) or a replay returns the stored reply and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from scheduler.clock import Clock
from storage.db import Database
from storage.models import InboundMessage

log = logging.getLogger(__name__)

BUSY_REPLY = "系统繁忙，刚才的消息已保存，请稍后再发一次或联系联系人。"


class MessagePipeline:
    def __init__(self, db: Database, dispatcher: Dispatcher, clock: Clock) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.clock = clock

    async def process(self, msg: Inbound) -> str | None:
        now = self.clock.now()
        return await self.db.run(lambda session: self._process(session, msg, now))

    def _process(self, session: Session, msg: Inbound, now: datetime) -> str | None:
        stored = self._stored(session, msg, now)
        # Lock the row while handling so a concurrent retry on another worker (PostgreSQL) waits
        # and then sees it handled. SQLite has one writer thread, and ignores FOR UPDATE.
        row = session.exec(select(InboundMessage).where(InboundMessage.id == stored.id).with_for_update()).one()
        if row.handled_at is not None:
            return row.reply or None
        try:
            reply = self.dispatcher.handle(session, msg, row.received_at, row.id)
            row.reply = reply or ""
            row.handled_at = row.received_at
            session.add(row)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("handling %s failed; stored unhandled", msg.dedupe_key)
            return BUSY_REPLY
        return reply

    @staticmethod
    def _stored(session: Session, msg: Inbound, now: datetime) -> InboundMessage:
        """The message's row, inserting and committing it first if it is new."""
        found = session.exec(select(InboundMessage).where(InboundMessage.dedupe_key == msg.dedupe_key)).first()
        if found is not None:
            return found
        row = InboundMessage(
            channel=msg.channel,
            dedupe_key=msg.dedupe_key,
            user_id=msg.user_id,
            msg_type=msg.msg_type,
            created_at=msg.created_at,
            received_at=now,
            content=msg.content,
            raw_xml=msg.raw_xml,
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent retry won the insert (PostgreSQL, several workers)
            session.rollback()
            return session.exec(select(InboundMessage).where(InboundMessage.dedupe_key == msg.dedupe_key)).one()
        return row
