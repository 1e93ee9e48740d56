"""`weekbot demo`: the whole campaign on one clock.

The real bot app and the sandbox WeCom platform serve HTTP on loopback; the push plan runs on a
ManualClock through the same VirtualRunner, PushFiring and OutboxSender as `weekbot serve`. The
script's messages and the plan's pushes are merged on that clock: before each message the runner
fires (and the sender delivers) every push due by then, with the clock set to the push's time, so
both happen at campaign times, in order, with no wall-clock waiting and the same result every run.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.demo.common import Sandbox, demo_photo, demo_settings, export_hint, open_sandbox
from bot.demo.invariants import Ledger, check_nudge
from bot.demo.report import Progress, final_report
from bot.demo.script import PHOTO_SIZE, Turn, TurnKind, build_script
from bot.exports import build_export
from bot.exports.chart import MissingFontError
from bot.workers.push import make_firing, make_sender
from scheduler.calendar import CampaignCalendar
from scheduler.clock import TZ, ManualClock
from scheduler.executor import VirtualRunner
from scheduler.plan import PlannedPush, PushKind, build_plan
from scheduler.sender import OutboxSender

EXPORTS = {"xlsx": "宣传周活动台账.xlsx", "docx": "宣传周总结初稿.docx", "zip": "宣传周活动图片.zip"}


def campaign_span(settings: Settings, plan: list[PlannedPush]) -> tuple[datetime, datetime]:
    """From the morning of the first push (the RSVP request) to the end of the day after the deadline."""
    first = plan[0].at.date()
    deadline = CampaignCalendar(settings.campaign).summary_deadline().date()
    return datetime.combine(first, time(7, 30), TZ), datetime.combine(deadline + timedelta(days=2), time(0), TZ)


class CampaignRun:
    def __init__(self, sandbox: Sandbox, clock: ManualClock, plan: list[PlannedPush], progress: Progress) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.progress = progress
        runtime = sandbox.runtime
        self.sender: OutboxSender = make_sender(runtime, sandbox.background)
        self.runner = VirtualRunner(plan, clock, make_firing(runtime), self.sender.wake)
        self.ledger = Ledger(sandbox.platform)
        self.codes = sandbox.invite_codes()
        self.units_by_user: dict[str, str] = {}

    async def play(self, turns: list[Turn], until: datetime) -> None:
        for turn in turns:
            if turn.at > until:
                break
            await self.pushes_until(turn.at)
            self.clock.set(max(turn.at, self.clock.now()))
            await self.send(turn)
        await self.pushes_until(until)
        await self.sandbox.background.media.run_until_idle()

    async def pushes_until(self, moment: datetime) -> None:
        await self.runner.run_until(moment, after_each=self.after_push)

    async def after_push(self, push: PlannedPush) -> None:
        # The sender delivers what the push queued, as the service's sender loop does right after.
        await self.sender.drain_due()
        recipients = self.ledger.push_sent(push)
        self.progress.push(push, len(recipients))
        if push.kind == PushKind.REPORT_NUDGE:
            self.ledger.problems += await self.sandbox.runtime.db.run(
                lambda session: check_nudge(session, push, recipients)
            )

    async def send(self, turn: Turn) -> None:
        sandbox, now = self.sandbox, self.clock.now()
        user = sandbox.user(turn.user)
        fields: dict[str, Any]  # the callback's XML fields; a location's are numbers
        if turn.kind == TurnKind.PHOTO:
            fields = sandbox.add_photo(demo_photo(turn.seed, now - timedelta(minutes=10), PHOTO_SIZE))
        elif turn.kind == TurnKind.LOCATION:
            fields = {"Location_X": turn.where[0], "Location_Y": turn.where[1], "Scale": 15, "Label": ""}
        else:
            code = self.codes.get(self.units_by_user.get(turn.user, ""), "")
            fields = {"Content": turn.text.replace("{code}", code)}
        xml = self.ledger.callback(user, turn, fields, now)
        status, reply = await user.post(xml, now)
        self.ledger.answered(turn, status, reply)
        self.progress.turn(now, turn.user, str(fields.get("Content") or turn.label()))
        if turn.kind == TurnKind.PHOTO:
            # The service's media worker runs beside the webhook; here it catches up at once.
            await sandbox.background.media.run_until_idle()
        # Anything a message queued (a photo's duplicate notice, say) goes out now, as in the service.
        if await self.sender.drain_due():
            self.ledger.chat_sent()


async def run_campaign(settings: Settings, progress: Progress, until: datetime | None = None) -> int:
    """Live the campaign (up to ``until``, for tests); print the report; 1 if an invariant broke."""
    settings, where = demo_settings(settings)
    plan = build_plan(settings)
    start, end = campaign_span(settings, plan)
    end = min(end, until) if until else end
    liaisons, turns = build_script(settings, plan)
    clock = ManualClock(start)
    progress.begin(settings, start, end, len(liaisons), len(turns))
    async with AsyncExitStack() as stack:
        sandbox = await open_sandbox(settings, clock, stack)
        run = CampaignRun(sandbox, clock, plan, progress)
        run.units_by_user = {liaison.user_id: liaison.unit.name for liaison in liaisons}
        await run.play(turns, end)
        run.ledger.problems += await sandbox.runtime.db.run(run.ledger.check_stored)
        run.ledger.problems += await sandbox.runtime.db.run(run.ledger.check_outbox)
        exports = await write_exports(sandbox, settings.data_dir, run.ledger.problems)
        final_report(sandbox, liaisons, plan, run.ledger, exports, progress)
    print(f"\n数据已保存：{where}")
    print(export_hint(settings.data_dir))
    if run.ledger.problems:
        print(f"\n不变量被破坏（{len(run.ledger.problems)} 处）：", flush=True)
        for problem in run.ledger.problems:
            print(f"  ✗ {problem}")
        return 1
    return 0


async def write_exports(sandbox: Sandbox, data_dir: Path, problems: list[str]) -> dict[str, Path]:
    """The ledger, the draft and the photo ZIP in the data directory; a missing CJK font is a problem
    (the demo promised a Word draft), reported with the command that installs the font."""
    written: dict[str, Path] = {}
    for fmt, name in EXPORTS.items():
        try:
            written[fmt] = await build_export(sandbox.runtime.export_source(), fmt, data_dir / name)
        except MissingFontError as exc:
            problems.append(f"{name} 未生成：{exc}（`make demo` 会安装 fonts-wqy-zenhei）")
    return written


async def run_campaign_demo(settings: Settings) -> int:
    return await run_campaign(settings, Progress.for_stdout())
