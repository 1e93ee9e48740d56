"""The push plan as the desk shows it: every planned push with its state and its recipients.

The plan itself is data (scheduler.plan.build_plan); what happened to each push is read back from
the tables the executor writes: FiredPush (it fired), the outbox rows keyed
``<plan key>:<channel>:<user>`` (to whom, and how each delivery went) and SkippedPush (the
contact person stopped it). A push not yet fired shows who it would reach if it fired now.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from handlers.deps import Deps
from scheduler.audiences import resolve
from scheduler.plan import PlannedPush, PushKind
from storage.campaign_status import FiredPush
from storage.models import ChannelKind, Liaison
from storage.outbox import OutboxMessage
from storage.push_skips import skipped_pushes

# Pushes whose text is written when they fire, from the data of that moment.
COMPOSED_WHEN_FIRED = frozenset({PushKind.DIGEST, PushKind.FINAL_ROLLUP})


class PushState(StrEnum):
    PENDING = "pending"  # not fired yet, will fire at its time
    SENDING = "sending"  # fired, some deliveries still queued
    SENT = "sent"
    FAILED = "failed"  # fired, at least one delivery gave up
    EXPIRED = "expired"  # never went out in time (service down, or deliveries came too late)
    SKIPPED = "skipped"


@dataclass(frozen=True)
class PushRecipient:
    label: str  # the person's name when known, else their userid / openid
    unit: str
    status: str  # an OutboxMessage status, or "" for a push not yet fired


@dataclass(frozen=True)
class PushLine:
    push: PlannedPush
    state: PushState
    counts: dict[str, int]  # outbox status -> rows, for a fired push
    recipients: tuple[PushRecipient, ...]
    text: str
    composed_later: bool  # the text shown is the plan's; the real one is written when it fires
    skipped_by: str
    can_skip: bool
    can_enable: bool


def plan_key(outbox_key: str) -> str:
    """The plan key of an outbox row's key (``digest:2026-04-20:wecom:tianlin`` -> ``digest:2026-04-20``)."""
    return ":".join(outbox_key.split(":", 2)[:2])


def people_names(session: Session, deps: Deps) -> dict[tuple[str, str], str]:
    """(channel, user_id) -> the name to show; the contact's configured userids get the contact's name."""
    names: dict[tuple[str, str], str] = {
        (ChannelKind.WECOM, user_id): deps.contact.name for user_id in deps.contact.wecom_userids
    }
    for channel, user_id, name in session.exec(select(Liaison.channel, Liaison.user_id, Liaison.name)).all():
        if name:
            names[(channel, user_id)] = name
    return names


def actor_name(names: dict[tuple[str, str], str], actor: str) -> str:
    """An audit actor (``web:wecom:tianlin``, ``wecom:tianlin``) as the person's name when known."""
    channel, _, user_id = actor.removeprefix("web:").partition(":")
    return names.get((channel, user_id), user_id or actor)


def _fired_rows(session: Session) -> dict[str, list[OutboxMessage]]:
    kinds = [str(kind) for kind in PushKind]
    rows = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.kind).in_(kinds)).order_by(col(OutboxMessage.id))
    ).all()
    by_push: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        if "image" not in row.extra:  # a digest's collage rides along with its text row
            by_push.setdefault(plan_key(row.key), []).append(row)
    return by_push


def _fired_state(counts: Counter[str]) -> PushState:
    if counts["failed"]:
        return PushState.FAILED
    if counts["pending"]:
        return PushState.SENDING
    if counts["expired"] and not counts["sent"]:
        return PushState.EXPIRED
    return PushState.SENT


def push_plan(session: Session, deps: Deps, plan: list[PlannedPush], now: datetime) -> list[PushLine]:
    fired = set(session.exec(select(FiredPush.key)).all())
    skipped = skipped_pushes(session)
    rows_by_push = _fired_rows(session)
    names = people_names(session, deps)
    lines = []
    for push in plan:
        skip = skipped.get(push.key)
        if push.key in fired:
            rows = rows_by_push.get(push.key, [])
            counts = Counter(row.status for row in rows)
            recipients = tuple(
                PushRecipient(names.get((r.channel, r.recipient), r.recipient), r.extra.get("unit", ""), r.status)
                for r in rows
            )
            state, text = _fired_state(counts), rows[0].text if rows else push.text
        else:
            counts = Counter()
            resolved = resolve(session, push.audience, push.at.date(), deps.units, deps.contact)
            recipients = tuple(
                PushRecipient(names.get((r.channel, r.user_id), r.user_id), r.unit, "") for r in resolved.recipients
            )
            if skip is not None:
                state = PushState.SKIPPED
            else:
                state = PushState.EXPIRED if now >= push.expires_at else PushState.PENDING
            text = push.text
        lines.append(
            PushLine(
                push=push,
                state=state,
                counts=dict(counts),
                recipients=recipients,
                text=text,
                composed_later=push.key not in fired and push.kind in COMPOSED_WHEN_FIRED,
                skipped_by=actor_name(names, skip.skipped_by) if skip else "",
                can_skip=state == PushState.PENDING,
                # Only before its time: the executor fires a push once, when its time comes.
                can_enable=state == PushState.SKIPPED and now < push.at,
            )
        )
    return lines
