"""Store, de-duplicate, handle: the path every accepted inbound message takes.

Group commit. Messages that arrive while the writer is busy wait together; the writer takes them
all (up to ``max_batch``) into one transaction: the messages are inserted by one statement in a
SAVEPOINT (each in its own if that fails), they are handled in one savepoint (if any handling fails,
that is rolled back and each message is handled again in a savepoint of its own), their audit rows
and the replies are stored by one statement each, and the batch commits once. A commit returns only when it is on disk
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
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from bot.pipeline.prereading import pre_read
from handlers.binding import write_audits
from handlers.dispatcher import Dispatcher
from handlers.inbound import Inbound
from handlers.prereading import PreReading
from handlers.router import AuditRow, Reply
from scheduler.clock import Clock
from storage.db import Database
from storage.direct import DirectSavepoint, DirectStatement
from storage.engine import insert_ignoring_conflicts, table_of
from storage.models import InboundMessage

log = logging.getLogger(__name__)

# Called inside the transaction that records a reply (session, message id, reply), so whatever it
# writes commits with the handling or not at all.
OnHandled = Callable[[Session, int, Reply], None]


# What an inbound row is stored with (id, reply and handled_at come later).
_STORED = ("channel", "dedupe_key", "user_id", "msg_type", "created_at", "received_at", "content", "raw_xml")


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


@dataclass(frozen=True)
class _Stored:
    """A message's row, as this batch found or made it."""

    message_id: int
    received_at: datetime
    handled: bool
    reply: str | None


class MessagePipeline:
    def __init__(self, db: Database, dispatcher: Dispatcher, clock: Clock, max_batch: int = 64) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.clock = clock
        self.max_batch = max_batch
        # The batch's INSERT … VALUES (…), (…) … ON CONFLICT DO NOTHING (concurrent retries cannot
        # both insert), one per batch size, built when a batch of that size first comes; straight
        # on the driver's cursor (storage.direct): SQLAlchemy's per-row set-up of an executemany
        # cost twice the SQL (22 vs 7 µs a row, timed on SQLite).
        self._inserts: dict[int, DirectStatement] = {}
        table = table_of(InboundMessage)
        self._select_stored = (
            select(table.c.id, table.c.dedupe_key, table.c.received_at, table.c.handled_at, table.c.reply)
            .where(table.c.dedupe_key.in_(bindparam("keys", expanding=True)))
            .order_by(table.c.id)
        )
        # Straight on the driver's cursor (storage.direct): SQLAlchemy's set-up per row cost more than the SQL.
        self._set_reply = DirectStatement(
            update(table)
            .where(table.c.id == bindparam("message_id"))
            .values(reply=bindparam("reply_text"), handled_at=bindparam("handled"))
        )
        self._waiting: list[_Pending] = []
        # Appended to on the event loop, taken from on the writer thread (see _write).
        self._waiting_lock = threading.Lock()
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
        with self._waiting_lock:
            self._waiting.append(pending)
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_batches())
        # Awaited bare, not shielded (a shield is a second future and a second wake-up per
        # request): a caller cancelled meanwhile cancels only its own answer; its message stays
        # queued, is stored and handled with its batch, and _write skips the answer nobody awaits.
        return await pending.answer

    async def _write_batches(self) -> None:
        """Write what waits, batch after batch, until nothing waits."""
        try:
            while self._waiting:
                await self._write()
        finally:
            self._writing = None

    def _take_batch(self) -> list[_Pending]:
        with self._waiting_lock:
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        return batch

    async def _write(self) -> None:
        # The batch is taken on the writer thread once this process has its turn at the database
        # (storage.db: on SQLite the `serve` workers take turns), not before it waits for the turn:
        # what arrives meanwhile joins this batch rather than waiting for a turn of its own, so
        # processes taking turns write fewer, fuller batches, a sync and a hand-off each.
        batch: list[_Pending] = []

        def transaction(session: Session) -> list[str | NotAnswered | None]:
            if not batch:  # taken once, however often the writer calls this
                batch.extend(self._take_batch())
            return self._transaction(session, batch)

        try:
            outcomes = await self.db.run(transaction)
        except Exception as exc:  # the commit, or a transaction that could not isolate a failure
            batch = batch or self._take_batch()  # failed before it took its batch: that one fails
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
        """Every message of the batch, a failure kept to its own message; Database.run commits after."""
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
        stored = self._store_batch(session, batch)
        # Handling, optimistically: the whole batch in one savepoint. Handling almost never fails,
        # and a savepoint per message costs two statements each (two round trips on PostgreSQL).
        # If a message's handling does fail, the batch's handling is rolled back and done again,
        # each message in its own savepoint, so the failure stays with its message.
        savepoint = session.begin_nested()
        try:
            outcomes, replies = self._handle_batch(session, batch, stored, isolated=False)
            savepoint.commit()
        except Exception:
            savepoint.rollback()  # if even this fails the transaction is broken: the whole batch fails
            log.info("handling a batch of %d failed; again, each message in its own savepoint", len(batch))
            outcomes, replies = self._handle_batch(session, batch, stored, isolated=True)
        # The replies of the batch in one statement, in its transaction: a message is handled
        # (its reply stored) exactly when its handling's writes commit.
        if replies:
            self._set_reply.executemany(session, replies)
        return outcomes

    def _handle_batch(
        self, session: Session, batch: list[_Pending], stored: dict[str, _Stored | StoreFailed], *, isolated: bool
    ) -> tuple[list[str | NotAnswered | None], list[dict[str, object]]]:
        """Every message's outcome, and the reply updates of those handled now. ``isolated``: each
        message in its own savepoint (a failure becomes its HandlingFailed); otherwise a failure raises."""
        outcomes: list[str | NotAnswered | None] = [None] * len(batch)
        answered: dict[str, str | None] = {}  # a message this batch handled, by dedupe_key
        audits: list[AuditRow] = []  # the handling's audit rows, written together (Dispatcher.handle)
        replies: list[dict[str, object]] = []
        # Handled sender by sender (a sender's own messages keep their order): on PostgreSQL the
        # batches of two processes then take each sender's rows (dialog state, binding) in one
        # order, and cannot deadlock on them.
        by_sender = sorted(range(len(batch)), key=lambda i: (batch[i].msg.channel, batch[i].msg.user_id))
        for index in by_sender:
            pending = batch[index]
            key = pending.msg.dedupe_key
            row = stored[key]
            if isinstance(row, StoreFailed):
                outcome: str | NotAnswered | None = row
            elif key in answered:  # delivered twice in one batch: the first delivery's reply
                outcome = answered[key]
            elif row.handled:  # a retry, a replay, or a retry that waited for the first
                outcome = row.reply or None
            else:
                handle = self._handle_isolated if isolated else self._handle
                outcome = handle(session, pending, row, audits)
                if not isinstance(outcome, NotAnswered):  # handled, its writes kept: its reply is stored
                    answered[key] = outcome or None
                    replies.append(
                        {"message_id": row.message_id, "reply_text": outcome or "", "handled": row.received_at}
                    )
            outcomes[index] = outcome
        write_audits(session, audits)  # the batch's (isolated: each message wrote its own)
        return outcomes, replies

    def _store_batch(self, session: Session, batch: list[_Pending]) -> dict[str, _Stored | StoreFailed]:
        """Insert the batch's messages (once each); every dedupe_key's stored row, whether this
        batch inserted it or it was stored before, or StoreFailed."""
        first: dict[str, _Pending] = {}
        for pending in sorted(batch, key=lambda p: p.msg.dedupe_key):
            # Sorted: on PostgreSQL every batch, in every process, takes the new keys' locks in one
            # order, so two batches holding retries of each other's messages cannot deadlock.
            first.setdefault(pending.msg.dedupe_key, pending)
        # One INSERT for the batch in one savepoint; if it fails, each message again in its own,
        # so only a message that cannot be stored fails. The INSERT is a DirectStatement: its
        # savepoint is the driver's too.
        savepoint = DirectSavepoint(session)
        try:
            inserted = self._insert_rows(session, list(first.values()))
            savepoint.release()
        except Exception:
            savepoint.rollback()  # if even this fails the transaction is broken: the whole batch fails
            inserted = {}
            for pending in first.values():
                savepoint = DirectSavepoint(session)
                try:
                    inserted |= self._insert_rows(session, [pending])
                    savepoint.release()
                except Exception as exc:
                    savepoint.rollback()
                    log.exception("storing %s failed", pending.msg.dedupe_key)
                    inserted[pending.msg.dedupe_key] = StoreFailed(f"{type(exc).__name__}: {exc}")
        stored: dict[str, _Stored | StoreFailed] = {}
        for key, pending in first.items():
            found = inserted.get(key)
            if isinstance(found, int):
                stored[key] = _Stored(found, pending.now, False, None)
            elif found is not None:
                stored[key] = found
        stored |= self._stored_before(session, [key for key in first if key not in inserted])
        return stored

    def _insert_rows(self, session: Session, pending: list[_Pending]) -> dict[str, int | StoreFailed]:
        """INSERT … ON CONFLICT DO NOTHING; the new rows' ids by dedupe_key (a key stored before is absent)."""
        values: dict[str, object] = {}
        for row, p in enumerate(pending):
            m = p.msg
            stored = (m.channel, m.dedupe_key, m.user_id, m.msg_type, m.created_at, p.now, m.content, m.raw_xml)
            values |= {f"{column}_{row}": value for column, value in zip(_STORED, stored, strict=True)}
        return {key: message_id for message_id, key in self._insert_of(len(pending)).all(session, values)}

    def _insert_of(self, rows: int) -> DirectStatement:
        """The INSERT of ``rows`` messages (its parameters: ``<column>_<row>``)."""
        statement = self._inserts.get(rows)
        if statement is None:
            table = table_of(InboundMessage)
            values = [{c: bindparam(f"{c}_{row}", type_=table.c[c].type) for c in _STORED} for row in range(rows)]
            insert = insert_ignoring_conflicts(self.db.engine.dialect.name, table, ["dedupe_key"])
            statement = self._inserts[rows] = DirectStatement(insert.values(values).returning(table.c.dedupe_key))
        return statement

    def _stored_before(self, session: Session, keys: list[str]) -> dict[str, _Stored | StoreFailed]:
        """The rows of keys stored before this batch, locked until it commits.

        Whoever handles a message holds its row's lock until the batch commits, so a retry racing
        on another worker or process (PostgreSQL) waits, then finds it handled. A row this batch
        inserted is locked already (a racing INSERT … ON CONFLICT waits for our commit, then
        conflicts); a row stored before, perhaps by a batch whose handling failed, is locked here: a
        retry could otherwise see it unhandled beside us and handle it again. In id order, as every
        batch locks them, so two batches cannot wait for each other. SQLite ignores FOR UPDATE, and
        needs none: one writer at a time."""
        if not keys:
            return {}
        rows = session.connection().execute(self._select_stored.with_for_update(), {"keys": keys})
        found: dict[str, _Stored | StoreFailed] = {
            key: _Stored(message_id, received_at, handled_at is not None, reply)
            for message_id, key, received_at, handled_at, reply in rows
        }
        for key in keys:  # conflicted, yet gone: cannot happen short of a broken database
            found.setdefault(key, StoreFailed(f"{key} conflicted but is not stored"))
        return found

    def _handle(self, session: Session, pending: _Pending, row: _Stored, audits: list[AuditRow]) -> str | None:
        """Handle a stored, unhandled message: its reply (its audit rows join ``audits``)."""
        msg, pre_reading = pending.msg, pending.pre_reading
        reply = self.dispatcher.handle(session, msg, row.received_at, row.message_id, pre_reading, audits)
        if pending.on_handled is not None:
            pending.on_handled(session, row.message_id, reply)
        return reply

    def _handle_isolated(
        self, session: Session, pending: _Pending, row: _Stored, audits: list[AuditRow]
    ) -> str | NotAnswered | None:
        """``_handle`` in its own savepoint, its audit rows written in it: a failure (its savepoint's
        own flush included) rolls back this message's writes only."""
        savepoint = session.begin_nested()
        try:
            reply = self._handle(session, pending, row, audits)
            write_audits(session, audits)
            savepoint.commit()
        except Exception as exc:
            audits.clear()  # rolled back with the message
            savepoint.rollback()
            log.exception("handling %s failed; stored unhandled", pending.msg.dedupe_key)
            return HandlingFailed(f"{type(exc).__name__}: {exc}")
        return reply
