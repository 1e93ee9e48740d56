"""Short questions and their answers (PTB ConversationHandler-style, persisted).

A handler that needs one missing fact calls ``ask``; the user's next message is routed to the
handler registered for that state (filter ``InState``) until it is answered, replaced by a new
report or command, or the configured timeout passes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.router import Context, Filter, FilterResult
from storage.dialogs import DialogState


def current(ctx: Context) -> DialogState | None:
    """The sender's live dialog state; an expired one is deleted and ignored."""
    if "dialog" not in ctx.data:
        row = ctx.session.get(DialogState, (ctx.msg.channel, ctx.msg.user_id))
        if row is not None and row.expires_at <= ctx.now:
            ctx.session.delete(row)
            row = None
        ctx.data["dialog"] = row
    return ctx.data["dialog"]


def ask(ctx: Context, state: str, question: str, **data: Any) -> str:
    row = current(ctx) or DialogState(channel=ctx.msg.channel, user_id=ctx.msg.user_id, state=state, expires_at=ctx.now)
    row.state, row.data = state, data
    row.expires_at = ctx.now + timedelta(minutes=ctx.deps.question_timeout_minutes)
    ctx.session.add(row)
    ctx.data["dialog"] = row
    return question


def clear(ctx: Context) -> None:
    row = current(ctx)
    if row is not None:
        ctx.session.delete(row)
        ctx.data["dialog"] = None


def InState(*states: str) -> Filter:
    def check(ctx: Context) -> FilterResult:
        row = current(ctx)
        return row is not None and row.state in states

    return check
