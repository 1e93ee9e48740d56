"""Per-recipient send limits, counted from the outbox's sent rows: WeCom drops what a member
receives beyond 30 messages a minute or 1000 an hour, and a group robot takes 20 a minute, so a row
that would pass a limit is put off until it may go (never sent into the void)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.outbox import OutboxMessage, OutboxStatus

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
# channel -> (messages a minute, messages an hour or None) per recipient
Limits = dict[str, tuple[int, int | None]]


def within_rate_limits(
    session: Session, rows: list[OutboxMessage], limits: Limits, now: datetime
) -> list[OutboxMessage]:
    """The rows that may go now; each row over its recipient's limits gets the time it may go as
    its next attempt instead."""
    recent = {
        channel: _recent_sends(session, channel, {r.recipient for r in rows if r.channel == channel}, now)
        for channel in limits
    }
    taken_now: defaultdict[tuple[str, str], int] = defaultdict(int)
    chosen = []
    for row in rows:
        if row.channel in limits:
            taken = taken_now[(row.channel, row.recipient)]
            per_minute, per_hour = limits[row.channel]
            free_at = _limit_frees_at(recent[row.channel][row.recipient], taken, now, per_minute, per_hour)
            if free_at is not None:
                row.next_attempt_at = free_at
                session.add(row)
                continue
            taken_now[(row.channel, row.recipient)] += 1
        chosen.append(row)
    return chosen


def _recent_sends(
    session: Session, channel: str, recipients: set[str], now: datetime
) -> defaultdict[str, list[datetime]]:
    found: defaultdict[str, list[datetime]] = defaultdict(list)
    if not recipients:
        return found
    rows = session.exec(
        select(OutboxMessage.recipient, OutboxMessage.sent_at).where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == OutboxStatus.SENT,
            col(OutboxMessage.recipient).in_(recipients),
            col(OutboxMessage.sent_at) > now - HOUR,
        )
    ).all()
    for recipient, sent_at in rows:
        if sent_at is not None:
            found[recipient].append(sent_at)
    return found


def _limit_frees_at(
    sent: list[datetime], taken_now: int, now: datetime, per_minute: int, per_hour: int | None
) -> datetime | None:
    """None if one more message may go to this member (or robot) now, else when it may."""
    in_minute = sorted(at for at in sent if at > now - MINUTE)
    if per_hour is not None and len(sent) + taken_now >= per_hour:
        return min(sent) + HOUR if sent else now + MINUTE
    if len(in_minute) + taken_now >= per_minute:
        return in_minute[0] + MINUTE if in_minute else now + MINUTE
    return None
