"""What the campaign demo promises, checked against what really happened.

The sandbox platform records every message it accepted; the database holds every inbound message
and every outbox row. The demo breaks (exit 1) when a push reached someone twice, a message the
script sent was not answered (HTTP 200 and a reply) or not stored and handled, or a unit that had reported
that day was nudged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.demo.script import Turn
from bot.sandbox.callbacks import WeComUser, new_msg_id
from bot.sandbox.state import PlatformState, SentMessage
from scheduler.plan import PlannedPush
from storage.models import Activity, InboundMessage, Liaison, RecordStatus, Unit
from storage.outbox import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class PushDelivery:
    push: PlannedPush
    recipients: frozenset[str]
    messages: tuple[SentMessage, ...]


@dataclass
class Ledger:
    platform: PlatformState
    problems: list[str] = field(default_factory=list)
    callbacks: dict[int, Turn] = field(default_factory=dict)
    pushes: list[PushDelivery] = field(default_factory=list)
    seen: int = 0  # platform messages already attributed to a push or to chat

    def callback(self, user: WeComUser, turn: Turn, fields: dict[str, Any], now: datetime) -> str:
        """The callback's XML with a MsgId we remember, to find the stored row later."""
        msg_id = new_msg_id()
        self.callbacks[msg_id] = turn
        return user.xml(now, turn.kind, fields, msg_id)

    def answered(self, turn: Turn, status: int, reply: str | None) -> None:
        """Every message the script sends gets HTTP 200 and a reply (the bot answers each one)."""
        if status != 200:
            self.problems.append(f"消息丢失：{turn.at:%m-%d %H:%M} {turn.user}「{turn.label()}」得到 HTTP {status}")
        elif not reply:
            self.problems.append(f"消息未答复：{turn.at:%m-%d %H:%M} {turn.user}「{turn.label()}」")

    def _fresh(self) -> tuple[SentMessage, ...]:
        fresh = tuple(self.platform.messages[self.seen :])
        self.seen = len(self.platform.messages)
        return fresh

    def push_sent(self, push: PlannedPush) -> frozenset[str]:
        """Attribute what the platform received since the last look to ``push``; its recipients."""
        messages = self._fresh()
        # One text per recipient (plus the collage image a digest carries).
        counts = Counter((user, m.msgtype) for m in messages for user in m.touser)
        for (user, msgtype), times in sorted(counts.items()):
            if times > 1:
                self.problems.append(f"重复推送：{push.key} 发给 {user} 的 {msgtype} 消息收到 {times} 次")
        recipients = frozenset(user for user, _ in counts)
        self.pushes.append(PushDelivery(push, recipients, messages))
        return recipients

    def chat_sent(self) -> None:
        """Messages queued by chat (not by the plan) were delivered: not a push's."""
        self._fresh()

    def check_stored(self, session: Session) -> list[str]:
        """Every callback the script sent is stored, once, and was handled."""
        keys = {f"wecom:{msg_id}": turn for msg_id, turn in self.callbacks.items()}
        rows = session.exec(
            select(InboundMessage.dedupe_key, InboundMessage.handled_at).where(col(InboundMessage.dedupe_key).in_(keys))
        ).all()
        handled = {key for key, handled_at in rows if handled_at is not None}
        return [
            f"消息丢失：{turn.at:%m-%d %H:%M} {turn.user}「{turn.label()}」未存储或未处理"
            for key, turn in keys.items()
            if key not in handled
        ]

    def check_outbox(self, session: Session) -> list[str]:
        """Each recipient received exactly as many messages as the outbox has rows sent to them:
        more means a row went out twice (or a message went out that no row accounts for)."""
        sent_rows = Counter(
            session.exec(select(OutboxMessage.recipient).where(OutboxMessage.status == OutboxStatus.SENT)).all()
        )
        received = Counter(user for m in self.platform.messages for user in m.touser)
        return [
            f"重复推送：{user} 收到 {count} 条消息，发件箱只有 {sent_rows[user]} 条已发送"
            for user, count in sorted(received.items())
            if count > sent_rows[user]
        ]


def check_nudge(session: Session, push: PlannedPush, recipients: frozenset[str]) -> list[str]:
    """No unit that had an activity recorded for the nudge's day (by the time it went out) was nudged."""
    day = push.at.date()
    reported = set(
        session.exec(select(Activity.unit_id).where(Activity.date == day, Activity.status == RecordStatus.ACTIVE)).all()
    )
    nudged = session.exec(
        select(Liaison.user_id, Unit.id, Unit.name).join(Unit).where(col(Liaison.user_id).in_(recipients))
    ).all()
    return [f"错误催报：{name} 当天已报送，仍收到 {push.key}" for user, unit_id, name in nudged if unit_id in reported]
