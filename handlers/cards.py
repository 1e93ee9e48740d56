"""Template cards from the handlers' side: pushing one as the follow-up of a reply, and showing a
card as answered once its question is settled, by a click or by a typed answer.

Both only queue outbox rows: the webhook never calls WeCom itself. A card is updated with its
newest ResponseCode, which is marked used as the update is queued (each code works once, 72 h).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.router import Context
from scheduler.audiences import Recipient
from scheduler.cards import Card, CardKind
from scheduler.firing import CardPush, queue
from storage.cards import RESPONSE_CODE_LIFE, CardTask, open_tasks, spend_response_code
from storage.models import ChannelKind
from storage.outbox import put

CARD_UPDATE_KIND = "card_update"


def push_card(ctx: Context, key: str, card: Card, text: str, until: datetime, **data: Any) -> None:
    """Queue ``card`` to the sender (WeCom only: the Official Account's reply already says it in text)."""
    if ctx.msg.channel != ChannelKind.WECOM:
        return
    queue(
        ctx.session,
        key=key,
        kind=f"card_{card.kind}",
        recipients=[Recipient(ctx.msg.channel, ctx.msg.user_id, ctx.unit.name if ctx.unit else "")],
        text=text,
        now=ctx.now,
        not_after=until,
        card=CardPush(card, until, data),
    )


def settle(ctx: Context, task: CardTask, answer: str, label: str) -> None:
    """Record the card's answer and queue its update to ``label`` (e.g. 已回复：参加), if a code is live."""
    task.answer, task.answered_at = answer, ctx.now
    code = spend_response_code(task, ctx.now)
    ctx.session.add(task)
    if code is None or task.response_code_at is None:
        return
    put(
        ctx.session,
        key=f"card-update:{task.task_id}",
        kind=CARD_UPDATE_KIND,
        channel=task.channel,
        recipient=task.user_id,
        text=label,
        now=ctx.now,
        not_after=task.response_code_at + RESPONSE_CODE_LIFE,
        extra={"card_update": {"task_id": task.task_id, "response_code": code, "replace_name": label}},
    )


def settle_open(ctx: Context, kind: CardKind, answer: str, label: str, **about: Any) -> None:
    """A typed answer settles the sender's open cards of ``kind`` (those about ``about``, if given)."""
    for task in open_tasks(ctx.session, ctx.msg.channel, ctx.msg.user_id, (str(kind),), ctx.now):
        if all(task.data.get(name) == value for name, value in about.items()):
            settle(ctx, task, answer, label)
