"""What the campaign demo prints: the days and pushes as they go (a live status line on a
terminal, plain lines otherwise), then the per-unit table, pushes by kind, the last digest and
the exports."""

from __future__ import annotations

import sys
import time as wall
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.dashboard.pages import PUSH_LABELS
from bot.demo.common import Sandbox, text_table
from bot.demo.invariants import Ledger
from bot.demo.script import ScriptedLiaison
from bot.exports import size_label
from scheduler.campaign import UnitKind
from scheduler.plan import PlannedPush, PushKind
from storage.campaign_status import attendees_by_unit, checkins_by_unit, summaries_by_unit
from storage.models import Activity, RecordStatus, Unit
from storage.photos import Photo, PhotoStatus

WEEKDAYS = "一二三四五六日"
BOLD, DIM, CYAN, RESET, CLEAR = "\033[1m", "\033[2m", "\033[36m", "\033[0m", "\r\033[K"


@dataclass
class Progress:
    out: TextIO
    live: bool  # a terminal: colours and a status line rewritten in place
    day_shown: date | None = None
    messages_today: int = 0
    started: float = field(default_factory=wall.monotonic)

    @classmethod
    def for_stdout(cls) -> Progress:
        return cls(sys.stdout, sys.stdout.isatty())

    def _line(self, text: str, style: str = "") -> None:
        if self.live:
            self.out.write(CLEAR + (style + text + RESET if style else text) + "\n")
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def begin(self, settings: Settings, start: datetime, end: datetime, liaisons: int, turns: int) -> None:
        self._line(f"== {settings.campaign.name} · 全程演示（沙箱企业微信，虚拟时钟）==", BOLD)
        self._line(f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M}，{liaisons} 个单位的联络员，脚本消息 {turns} 条")

    def day(self, moment: datetime) -> None:
        """Show every campaign day the clock has entered, up to ``moment``'s."""
        while self.day_shown is None or self.day_shown < moment.date():
            if self.day_shown is not None and self.messages_today:
                self._line(f"  联络员消息 {self.messages_today} 条", DIM)
            self.day_shown = moment.date() if self.day_shown is None else self.day_shown + timedelta(days=1)
            self.messages_today = 0
            day = self.day_shown
            self._line(f"── {day:%Y-%m-%d} 周{WEEKDAYS[day.weekday()]} ──", CYAN)

    def push(self, push: PlannedPush, recipients: int) -> None:
        self.day(push.at)
        label = PUSH_LABELS.get(push.kind, push.kind)
        self._line(f"  {push.at:%H:%M} 推送 {push.kind:<17} {label:<6} → {recipients} 人", BOLD)

    def turn(self, now: datetime, user: str, said: str) -> None:
        """A liaison's message: counted per day; on a terminal, shown on the status line."""
        self.day(now)
        self.messages_today += 1
        if self.live:
            self.out.write(f"{CLEAR}  {now:%m-%d %H:%M} {user}: {said[:24]}")
            self.out.flush()

    def finish(self) -> None:
        if self.messages_today:
            self._line(f"  联络员消息 {self.messages_today} 条", DIM)

    def elapsed(self) -> float:
        return wall.monotonic() - self.started


def unit_rows(session: Session, liaisons: Sequence[ScriptedLiaison]) -> list[list[str]]:
    units = {unit.name: unit for unit in session.exec(select(Unit)).all()}
    activities = Counter(session.exec(select(Activity.unit_id).where(Activity.status == RecordStatus.ACTIVE)).all())
    photos = Counter(
        session.exec(
            select(Activity.unit_id)
            .join(Photo, col(Photo.activity_id) == col(Activity.id))
            .where(Photo.status == PhotoStatus.READY, Activity.status == RecordStatus.ACTIVE)
        ).all()
    )
    attendees, checkins, summaries = attendees_by_unit(session), checkins_by_unit(session), summaries_by_unit(session)
    rows = []
    for liaison in liaisons:
        unit_id = units[liaison.unit.name].id or 0
        habit = "、".join([liaison.habit.value, *sorted(liaison.twists)])
        if liaison.unit.kind != UnitKind.MEMBER:
            rsvp = "不适用"
        elif unit_id in attendees:
            rsvp = "、".join(a.name for a in attendees[unit_id]) + ("（已签到）" if unit_id in checkins else "")
        else:
            rsvp = "未回执"
        summary = summaries.get(unit_id)
        rows.append(
            [
                liaison.unit.name,
                habit,
                str(activities[unit_id]),
                str(photos[unit_id]),
                rsvp,
                f"{summary.at:%m-%d}" if summary else "未交",
            ]
        )
    return rows


def final_report(
    sandbox: Sandbox,
    liaisons: Sequence[ScriptedLiaison],
    plan: Sequence[PlannedPush],
    ledger: Ledger,
    exports: dict[str, Path],
    progress: Progress,
) -> None:
    progress.finish()
    db = sandbox.runtime.db
    print("\n各单位情况：")
    rows = db.call(lambda session: unit_rows(session, liaisons))
    print(text_table(["单位", "联络员习惯", "活动", "图片", "参会回执", "总结"], rows))
    planned = Counter(push.kind for push in plan)
    fired = Counter(delivery.push.kind for delivery in ledger.pushes)
    reached: Counter[str] = Counter()
    for delivery in ledger.pushes:
        reached[delivery.push.kind] += len(delivery.recipients)
    print("\n推送（按类型）：")
    body = [
        [str(kind), PUSH_LABELS.get(kind, kind), f"{fired[kind]}/{planned[kind]}", str(reached[kind])]
        for kind in PushKind
    ]
    print(text_table(["类型", "名称", "已发/计划", "送达人次"], body))
    digests = [d for d in ledger.pushes if d.push.kind == PushKind.DIGEST]
    if digests:
        last = digests[-1]
        text = next((m.content for m in last.messages if m.msgtype == "text"), "")
        print(f"\n最后一份汇总（{last.push.at:%m-%d %H:%M}，{last.push.key}）：\n{text}")
    print("\n导出文件：")
    for path in exports.values():
        print(f"  {path}（{size_label(path.stat().st_size)}）")
    calls = sandbox.platform.messages
    delivered = sum(len(message.touser) for message in calls)
    print(f"\n用时 {progress.elapsed():.1f} 秒；沙箱平台收到发送请求 {len(calls)} 次，送达 {delivered} 人次。")
