"""Store, de-duplicate, handle: the path every accepted inbound message takes.

Group commit. Messages that arrive while the writer is busy wait together; the writer takes them
all (up to ``max_batch``) into one transaction: each message is inserted in its own SAVEPOINT, then
handled in a second one, and the batch commits once. A commit returns only when it is on disk
(storage.db: SQLite synchronous=FULL, PostgreSQL synchronous_commit=on), and no request is answered
before its batch's commit returned: every acknowledged message, and what handling it wrote, is
durable, while one sync serves the whole batch. With one message in flight the batch is that message
alone, so a quiet hour waits for nobody.

Failures stay with their own message. Handling that fails rolls back to its savepoint: the row stays
stored and unhandled and the request gets HandlingFailed (the webhook answers 503 so WeChat retries;
a retry handles the stored row; what is still unhandled after WeChat's retries, bot.workers.rehandler
handles in the background). An insert that fails rolls back its own savepoint: StoreFailed, nothing
stored, no answer. If the batch's transaction itself breaks (its commit fails, or a savepoint cannot
be rolled back), nothing of it is durable and every request of the batch gets StoreFailed: none is
acknowledged, WeChat resends them all.

The dedupe_key is unique, so a retry (WeChat retries three times when it does not get an answer in
5 s) or a replay returns the stored reply and changes nothing, whether it lands in a later batch or
in the same one as the first delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.pipeline.prereading import pre_read
from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from handlers.prereading import PreReading
from handlers.router import Reply
from scheduler.clock import Clock
from storage.db import Database
from storage.engine import insert_ignoring_conflicts, table_of
from storage.models import InboundMessage

log = logging.getLogger(__name__)

# Called inside the transaction that records a reply (session, message id, reply), so whatever it
# writes commits with the handling or not at all.
OnHandled = Callable[[Session, int, Reply], None]


class NotAnswered(Exception):
    """The request must not be acknowledged (the webhook answers 503; WeChat retries)."""


class HandlingFailed(NotAnswered):
    """The message is stored but its handling failed (and was rolled back); it is still unhandled."""


class StoreFailed(NotAnswered):
    """The message is not stored (its insert or its batch's commit failed)."""


@dataclass
class _Pending:
    msg: Inbound
    now: datetime
    pre_reading: PreReading | None
    on_handled: OnHandled | None
    answer: asyncio.Future[str | None]


class MessagePipeline:
    def __init__(self, db: Database, dispatcher: Dispatcher, clock: Clock, max_batch: int = 64) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.clock = clock
        self.max_batch = max_batch
        # Built once (per message SQLAlchemy then only binds values): one INSERT … ON CONFLICT DO
        # NOTHING, so concurrent retries cannot both insert, and the reply's UPDATE.
        # Core statements on the table (not the ORM entity, whose bulk machinery costs more
        # than the SQL itself).
        table = table_of(InboundMessage)
        self._insert = insert_ignoring_conflicts(db.engine.dialect.name, table, ["dedupe_key"])
        self._set_reply = (
            update(table)
            .where(table.c.id == bindparam("message_id"))
            .values(reply=bindparam("reply_text"), handled_at=bindparam("handled"))
        )
        self._waiting: list[_Pending] = []
        # One batch in flight at a time: on SQLite there is one writer anyway, and on PostgreSQL
        # batches running side by side could take the row locks of the same retried messages in
        # opposite orders and deadlock; one batch at a time fills its transaction instead.
        self._writing: asyncio.Task[None] | None = None

    async def process(self, msg: Inbound, on_handled: OnHandled | None = None) -> str | None:
        """Store (once), then handle unless handled before; the reply, once durable.
        Raises HandlingFailed (stored, unhandled) or StoreFailed (not stored)."""
        now = self.clock.now()
        pre_reading = await pre_read(self.db, self.dispatcher.deps, msg, now)
        pending = _Pending(msg, now, pre_reading, on_handled, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_batches())
        # Shielded: a client that hangs up must not cancel the answer the batch will set.
        return await asyncio.shield(pending.answer)

    async def _write_batches(self) -> None:
        """Write what waits, batch after batch, until nothing waits."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
                await self._write(batch)
        finally:
            self._writing = None

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            outcomes = await self.db.run(lambda session: self._transaction(session, batch))
        except Exception as exc:  # the commit, or a transaction that could not isolate a failure
            log.exception("a batch of %d inbound messages failed to commit; none acknowledged", len(batch))
            outcomes = [StoreFailed(f"{type(exc).__name__}: {exc}")] * len(batch)
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.answer.done():
                continue
            if isinstance(outcome, Exception):
                pending.answer.set_exception(outcome)
            else:
                pending.answer.set_result(outcome)

    def _transaction(self, session: Session, batch: list[_Pending]) -> list[str | NotAnswered | None]:
        """Every message of the batch, each isolated in savepoints; Database.run commits after."""
        if self.db.is_sqlite:
            # The sqlite3 module begins a transaction only before a data change, not before a
            # SAVEPOINT, so releasing the first savepoint would commit on its own. IMMEDIATE: the
            # batch will write, so it takes the write lock now rather than upgrade a read lock later.
            connection = session.connection()
            driver = connection.connection.driver_connection
            if driver is not None and driver.in_transaction:
                # What a failed commit left open on this pooled connection: never acknowledged.
                driver.rollback()
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return [self._one(session, pending) for pending in batch]

    def _one(self, session: Session, pending: _Pending) -> str | NotAnswered | None:
        msg = pending.msg
        savepoint = session.begin_nested()
        try:
            message_id = self._store(session, msg, pending.now)
            savepoint.commit()
        except Exception as exc:
            savepoint.rollback()  # if even this fails the transaction is broken: the whole batch fails
            log.exception("storing %s failed", msg.dedupe_key)
            return StoreFailed(f"{type(exc).__name__}: {exc}")
        received_at = pending.now
        # Whoever handles the message holds its row's lock until the batch commits, so a retry
        # racing on another worker or process (PostgreSQL) waits, then finds it handled. A row
        # this transaction inserted is locked already (a racing INSERT … ON CONFLICT waits for our
        # commit, then conflicts); a row stored before, perhaps by a batch whose handling failed,
        # is locked here: a retry could otherwise see it unhandled beside us and handle it again.
        # SQLite ignores FOR UPDATE, and needs none: one writer at a time.
        # populate_existing: a row an earlier message of this batch loaded may since have been
        # handled (by a Core UPDATE the loaded object does not see).
        if message_id is None:
            row = session.exec(
                select(InboundMessage)
                .where(InboundMessage.dedupe_key == msg.dedupe_key)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            if row.handled_at is not None:  # a retry, a replay, or a retry that waited for the first
                return row.reply or None
            assert row.id is not None  # a stored row has its key (the model's Optional is for new rows)
            message_id, received_at = row.id, row.received_at
        savepoint = session.begin_nested()
        try:
            reply = self.dispatcher.handle(session, msg, received_at, message_id, pending.pre_reading)
            session.connection().execute(
                self._set_reply, {"message_id": message_id, "reply_text": reply or "", "handled": received_at}
            )
            if pending.on_handled is not None:
                pending.on_handled(session, message_id, reply)
            savepoint.commit()
        except Exception as exc:
            savepoint.rollback()
            log.exception("handling %s failed; stored unhandled", msg.dedupe_key)
            return HandlingFailed(f"{type(exc).__name__}: {exc}")
        return reply

    def _store(self, session: Session, msg: Inbound, now: datetime) -> int | None:
        """Insert the message; its id, or None if its dedupe_key is already stored."""
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
        return session.connection().execute(self._insert, values).scalar()
