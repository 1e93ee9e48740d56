"""Short questions and their answers (PTB ConversationHandler-style, persisted).

A flow declares its questions as a group of states, as aiogram's ``StatesGroup`` does::

    class ReportQuestions(States):
        ask_type = State(question=ASK_TYPE)

A handler that needs one missing fact calls ``ask(ctx, ReportQuestions.ask_type)``; the user's
next message is routed to the handler registered for that state (filter
``InState(ReportQuestions.ask_type)``) until it is answered, replaced by a new report or command,
or the configured timeout passes. ``DialogState.state`` stores the state's name (the attribute's
name), so the stored values are plain strings that stay readable in the database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeGuard

from sqlalchemy import bindparam, select

from handlers.router import Context, Filter, FilterResult, required
from storage.dialogs import DialogState
from storage.engine import table_of


class State:
    """One question of a flow; its name is the attribute it is declared as."""

    def __init__(self, question: str = "") -> None:
        self.question = question
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"State({self.name!r})"

    def holds(self, row: DialogState | None) -> TypeGuard[DialogState]:
        """Whether ``row`` is this question, open (so, to a type checker, not None)."""
        return row is not None and row.state == self.name


class States:
    """A flow's questions, declared as ``State`` class attributes."""


def current(ctx: Context) -> DialogState | None:
    """The sender's live dialog state; an expired one is deleted and ignored."""
    if not ctx.dialog_loaded:
        row = _load(ctx)
        if row is not None and row.expires_at <= ctx.now:
            ctx.session.delete(row)
            row = None
        ctx.dialog, ctx.dialog_loaded = row, True
    return ctx.dialog


def open_state(ctx: Context) -> DialogState:
    """The sender's open question, on routes behind ``InState``."""
    return required(current(ctx), "the open question (route not behind InState)")


# Most messages come from a sender no question is open for: a plain SELECT of the key says so for
# a fraction of what the ORM's get costs, and the row is loaded only when there is one. What this
# session changed before is flushed (each message's savepoint flushes), so the SELECT sees it.
_OPEN = select(table_of(DialogState).c.channel).where(
    table_of(DialogState).c.channel == bindparam("channel"), table_of(DialogState).c.user_id == bindparam("user_id")
)


def _load(ctx: Context) -> DialogState | None:
    key = {"channel": ctx.msg.channel, "user_id": ctx.msg.user_id}
    if ctx.session.connection().execute(_OPEN, key).first() is None:
        return None
    return ctx.session.get(DialogState, (ctx.msg.channel, ctx.msg.user_id))


def ask(ctx: Context, state: State, question: str | None = None, **data: Any) -> str:
    """Open ``state`` for the sender (replacing any open question); the question said is
    ``question``, or the state's own."""
    row = current(ctx) or DialogState(
        channel=ctx.msg.channel, user_id=ctx.msg.user_id, state=state.name, expires_at=ctx.now
    )
    row.state, row.data = state.name, data
    row.expires_at = ctx.now + timedelta(minutes=ctx.deps.question_timeout_minutes)
    ctx.session.add(row)
    ctx.dialog, ctx.dialog_loaded = row, True
    return question if question is not None else state.question


def clear(ctx: Context) -> None:
    row = current(ctx)
    if row is not None:
        ctx.session.delete(row)
        ctx.dialog = None


def InState(*states: State) -> Filter:
    def check(ctx: Context) -> FilterResult:
        row = current(ctx)
        return any(state.holds(row) for state in states)

    return check
