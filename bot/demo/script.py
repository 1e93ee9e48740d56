"""The campaign demo's liaisons and what they send when: a seeded script built from the config.

Every configured unit gets a liaison with a habit (prompt, late, silent for days, photos first);
a few also carry a twist (a correction, a withdrawal, a late RSVP, a check-in by location, a
multi-day activity, a summary never sent). Times are derived from the config and the push plan
(the RSVP request, its chases, the ceremony, the week, the summary deadline), so another year's
config gets its own script; the seed makes every run send the same messages at the same times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.config import Settings
from scheduler.calendar import CampaignCalendar
from scheduler.campaign import UnitConfig, UnitKind
from scheduler.clock import TZ
from scheduler.plan import PlannedPush, PushKind
from storage.vocabulary import ActivityType

SEED = 2026
PHOTO_SIZE = (640, 480)


class Habit(StrEnum):
    PROMPT = "按时报送"  # reports on working days, in office hours
    LATE = "晚报"  # reports in the evening after the nudge, or the next morning (昨天)
    SILENT = "连日未报"  # binds mid-week and stays silent for days
    PHOTOS_FIRST = "先发图片"  # sends the photos, then the words


class Twist(StrEnum):
    CORRECTS = "更正"
    WITHDRAWS = "撤回"
    LATE_RSVP = "晚回执"
    LOCATION_CHECKIN = "位置签到"
    MULTI_DAY = "多日活动"
    NO_SUMMARY = "未交总结"


class TurnKind(StrEnum):
    TEXT = "text"
    PHOTO = "image"
    LOCATION = "location"


@dataclass(frozen=True)
class Turn:
    at: datetime
    user: str
    kind: TurnKind
    text: str = ""  # "{code}" is replaced by the sender's unit's invite code
    seed: int = 0  # the generated photo's seed
    where: tuple[float, float] = (0.0, 0.0)

    def label(self) -> str:
        if self.kind == TurnKind.PHOTO:
            return f"[图片{self.seed}]"
        if self.kind == TurnKind.LOCATION:
            return f"[位置 {self.where[0]:.4f},{self.where[1]:.4f}]"
        return self.text


@dataclass(frozen=True)
class ScriptedLiaison:
    unit: UnitConfig
    user_id: str
    name: str
    habit: Habit
    twists: frozenset[Twist] = frozenset()
    configured: bool = False  # bound by the config's wecom_userids, no invite code needed

    @property
    def phone(self) -> str:
        return f"139{sum(map(ord, self.user_id)) % 10**8:08d}"


# Habits of the units that are not the chair, in a seeded order.
HABITS = [Habit.PROMPT] * 11 + [Habit.LATE] * 6 + [Habit.PHOTOS_FIRST] * 5 + [Habit.SILENT] * 3
NAMES = (
    "王磊 李红光 张科 赵建平 刘洋 陈静 杨帆 黄海 周敏 吴刚 徐丽 孙涛 胡军"
    " 朱琳 高峰 林霞 何伟 郭颖 马超 罗娟 梁宇 宋佳 郑凯 谢芳 韩冰 唐宁"
)
CITY_PLACES = ("人民广场", "新华路商圈", "万达广场", "市民文化广场", "朝阳经济技术开发区", "市政务服务中心", "步行街")
TRAINING_PLACES = ("市图书馆", "市委党校", "市科技馆报告厅", "市会展中心")
SCHOOLS = ("市第一中学", "朝阳师范学院", "辽宁工程职业学院", "市第二实验小学")
OUTLETS = ("朝阳日报", "朝阳广播电视台", "本单位微信公众号")
# A report of publicity at a school: its own wording in the demo, recorded as publicity.
SCHOOL = "school"
COUNTY_SUFFIXES = ("城广场", "政务服务中心", "经济开发区", "农贸市场")


@dataclass
class Campaign:
    """The moments the script hangs on, from the config and the plan."""

    request_at: datetime
    chases: list[datetime]
    ceremony: datetime
    week: tuple[date, ...]
    workdays: tuple[date, ...]
    deadline: datetime

    @classmethod
    def of(cls, settings: Settings, plan: list[PlannedPush]) -> Campaign:
        calendar = CampaignCalendar(settings.campaign)
        return cls(
            request_at=next(p.at for p in plan if p.kind == PushKind.RSVP_REQUEST),
            chases=[p.at for p in plan if p.kind == PushKind.RSVP_CHASE],
            ceremony=settings.ceremony.at,
            week=calendar.week_days(),
            workdays=calendar.week_workdays(),
            deadline=calendar.summary_deadline(),
        )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ)


def cast(settings: Settings) -> list[ScriptedLiaison]:
    """One liaison per unit: the configured WeCom user where there is one, else an invented one."""
    rng = random.Random(SEED)
    others = [unit for unit in settings.units if not unit.wecom_userids]
    habits = HABITS * (len(others) // len(HABITS) + 1)
    rng.shuffle(habits)
    liaisons, names = [], iter(NAMES.split() * 2)
    for index, unit in enumerate(settings.units):
        if unit.wecom_userids:
            liaisons.append(ScriptedLiaison(unit, unit.wecom_userids[0], next(names), Habit.PROMPT, configured=True))
        else:
            liaisons.append(ScriptedLiaison(unit, f"liaison{index:02d}", next(names), habits.pop()))
    return _with_twists(liaisons)


def _with_twists(liaisons: list[ScriptedLiaison]) -> list[ScriptedLiaison]:
    """Give each twist to the first liaison it suits (a late RSVP needs a member unit, ...)."""
    wanted = [
        (Twist.CORRECTS, Habit.PROMPT, None),
        (Twist.WITHDRAWS, Habit.PROMPT, None),
        (Twist.MULTI_DAY, Habit.PROMPT, None),
        (Twist.LOCATION_CHECKIN, Habit.PROMPT, UnitKind.MEMBER),
        (Twist.NO_SUMMARY, Habit.PROMPT, None),
        (Twist.LATE_RSVP, Habit.LATE, UnitKind.MEMBER),
    ]
    out = list(liaisons)
    for twist, habit, kind in wanted:
        index = next(
            i
            for i, liaison in enumerate(out)
            if not liaison.configured
            and not liaison.twists
            and liaison.habit == habit
            and (kind is None or liaison.unit.kind == kind)
        )
        old = out[index]
        out[index] = ScriptedLiaison(old.unit, old.user_id, old.name, old.habit, frozenset({twist}))
    return out


@dataclass
class ScriptWriter:
    campaign: Campaign
    settings: Settings
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    turns: list[Turn] = field(default_factory=list)
    photo_seeds: int = 100

    def text(self, moment: datetime, liaison: ScriptedLiaison, text: str) -> None:
        self.turns.append(Turn(moment, liaison.user_id, TurnKind.TEXT, text))

    def photos(self, moment: datetime, liaison: ScriptedLiaison, count: int) -> datetime:
        for _ in range(count):
            self.photo_seeds += 1
            moment += timedelta(minutes=1)
            self.turns.append(Turn(moment, liaison.user_id, TurnKind.PHOTO, seed=self.photo_seeds))
        return moment

    def report_text(self, liaison: ScriptedLiaison, when: str) -> str:
        rng, unit = self.rng, liaison.unit
        kind = rng.choice(
            (
                ActivityType.PUBLICITY,
                ActivityType.PUBLICITY,
                ActivityType.VISIT,
                ActivityType.TRAINING,
                SCHOOL,
                ActivityType.MEDIA,
            )
        )
        if unit.kind == UnitKind.COUNTY and unit.place:
            place = unit.place + rng.choice(COUNTY_SUFFIXES)
        else:
            place = rng.choice(CITY_PLACES)
        if kind == ActivityType.PUBLICITY:
            m, c = rng.randrange(100, 600, 10), rng.randrange(20, 90)
            return f"{when}在{place}开展知识产权集中宣传，发放宣传资料{m}份，现场咨询{c}人次"
        if kind == ActivityType.VISIT:
            return f"{when}走访了{rng.randrange(2, 8)}家企业，在{place}开展专利布局指导"
        if kind == ActivityType.TRAINING:
            return f"{when}在{rng.choice(TRAINING_PLACES)}举办知识产权专题培训，参训人员{rng.randrange(40, 160)}人"
        if kind == SCHOOL:
            return f"{when}在{rng.choice(SCHOOLS)}开展知识产权进校园活动，参与学生{rng.randrange(80, 400, 10)}人"
        return f"{when}在{rng.choice(OUTLETS)}刊发知识产权宣传稿件{rng.randrange(1, 5)}篇"

    # ---- before the week: binding, RSVP, check-in ----

    def ceremony_turns(self, liaisons: list[ScriptedLiaison], contact: str) -> None:
        c, rng = self.campaign, self.rng
        bind_day = c.request_at.date()
        confirmed: list[ScriptedLiaison] = []
        for index, liaison in enumerate(liaisons):
            first = at(bind_day, 8, 0) + timedelta(minutes=2 * index)
            if liaison.habit == Habit.SILENT:
                first = at(c.workdays[min(2, len(c.workdays) - 1)], 10, 5 + index)
            self.text(first, liaison, "帮助" if liaison.configured else "绑定 {code}")
            if liaison.unit.kind != UnitKind.MEMBER or liaison.habit == Habit.SILENT:
                continue
            rsvp = f"参会 {liaison.name} {liaison.phone}"
            if Twist.LATE_RSVP in liaison.twists:
                moment = c.chases[-1] + timedelta(hours=3)  # after the last chase
                rsvp = f"参加启动仪式的是{liaison.name}，电话{liaison.phone}"
            elif liaison.habit == Habit.LATE:
                moment = c.chases[0] + timedelta(minutes=rng.randrange(30, 300))  # after the first chase
            else:
                moment = c.request_at + timedelta(minutes=rng.randrange(15, 360))
            self.text(moment, liaison, rsvp)
            confirmed.append(liaison)
        doors = c.ceremony - timedelta(minutes=35)
        for index, liaison in enumerate(confirmed):
            moment = doors + timedelta(minutes=index)
            if Twist.LOCATION_CHECKIN in liaison.twists and self.settings.ceremony.latitude is not None:
                venue = (self.settings.ceremony.latitude, self.settings.ceremony.longitude or 0.0)
                # A few metres off the venue, as a phone's position would be.
                where = (venue[0] + 0.0004, venue[1] - 0.0003)
                self.turns.append(Turn(moment, liaison.user_id, TurnKind.LOCATION, where=where))
            elif index % 4 != 3:  # some registered attendees never check in
                self.text(moment, liaison, "签到")
        self.turns.append(Turn(c.ceremony - timedelta(minutes=2), contact, TurnKind.TEXT, "参会"))

    # ---- the week: reports and photos ----

    def week_turns(self, liaison: ScriptedLiaison) -> None:
        c, rng = self.campaign, self.rng
        days = list(c.workdays)
        if liaison.habit == Habit.SILENT:
            days = days[3:]  # silent until the fourth working day
        if Twist.MULTI_DAY in liaison.twists and len(c.week) >= 3:
            first, last = c.week[0], c.week[2]
            # The parser reads a range as one activity per day (the same place, the counts on the
            # first day): the ledger shows three rows for this exhibition.
            span = f"{first.month}月{first.day}日至{last.day}日"
            self.text(at(first, 9, 50), liaison, f"{span}在市科技馆举办知识产权成果展，参观群众600人")
            days = [day for day in days if day > last]
        for number, day in enumerate(days):
            if liaison.habit != Habit.SILENT and rng.random() < 0.2:
                continue  # a day without an activity
            if liaison.habit == Habit.LATE:
                self._late_report(liaison, day)
                continue
            moment = at(day, rng.randrange(9, 17), rng.randrange(0, 60))
            if number == 0 and Twist.WITHDRAWS in liaison.twists:
                self.text(moment - timedelta(minutes=20), liaison, self.report_text(liaison, "今天上午"))
                self.text(moment - timedelta(minutes=16), liaison, "撤回")  # the wrong activity, taken back
            if liaison.habit == Habit.PHOTOS_FIRST:
                moment = self.photos(moment, liaison, rng.randrange(1, 3)) + timedelta(minutes=4)
            text = self.report_text(liaison, "今天")
            if number == 0 and Twist.CORRECTS in liaison.twists:
                text = f"今天在{CITY_PLACES[0]}开展知识产权集中宣传，发放宣传资料300份，现场咨询50人次"
            self.text(moment, liaison, text)
            if number == 0 and Twist.CORRECTS in liaison.twists:
                self.text(moment + timedelta(minutes=6), liaison, "改 资料 500")
            elif liaison.habit == Habit.PROMPT and rng.random() < 0.35:
                self.photos(moment + timedelta(minutes=2), liaison, 1)
        # A weekend activity now and then: the digest counts it, no nudge asks for it.
        rest = [day for day in c.week if day not in c.workdays]
        if rest and liaison.habit == Habit.PROMPT and rng.random() < 0.25:
            self.text(at(rest[0], 10, rng.randrange(60)), liaison, self.report_text(liaison, "今天"))

    def _late_report(self, liaison: ScriptedLiaison, day: date) -> None:
        rng, c = self.rng, self.campaign
        next_day = day + timedelta(days=1)
        if next_day in c.week and rng.random() < 0.5:
            self.text(at(next_day, 8, rng.randrange(0, 50)), liaison, self.report_text(liaison, "昨天"))
        else:  # after the evening nudge
            self.text(at(day, 20, rng.randrange(5, 55)), liaison, self.report_text(liaison, "今天"))

    # ---- after the week: summaries ----

    def summary_turns(self, liaisons: list[ScriptedLiaison], contact: str) -> None:
        c, rng = self.campaign, self.rng
        after_week = [day for day in (c.week[-1], *self._days_to(c.deadline.date())) if day <= c.deadline.date()]
        marked_by_contact = None
        for liaison in liaisons:
            if liaison.habit == Habit.SILENT or Twist.NO_SUMMARY in liaison.twists or liaison.configured:
                continue
            if marked_by_contact is None and liaison.habit == Habit.PHOTOS_FIRST:
                marked_by_contact = liaison  # mails its summary without a word in chat
                continue
            day = after_week[-1] if liaison.habit == Habit.LATE else rng.choice(after_week)
            moment = at(day, rng.randrange(10, 16), rng.randrange(60))
            self.text(moment, liaison, "总结已发送至邮箱，请查收")
        if marked_by_contact is not None:
            short = marked_by_contact.unit.aliases[0] if marked_by_contact.unit.aliases else marked_by_contact.unit.name
            self.turns.append(Turn(at(after_week[1], 11, 20), contact, TurnKind.TEXT, f"已交 {short}"))
        self.turns.append(Turn(at(c.week[2], 17, 5), contact, TurnKind.TEXT, "进度"))
        self.turns.append(Turn(at(c.deadline.date(), 16, 45), contact, TurnKind.TEXT, "总结"))

    def _days_to(self, last: date) -> list[date]:
        day, days = self.campaign.week[-1] + timedelta(days=1), []
        while day <= last:
            days.append(day)
            day += timedelta(days=1)
        return days


def build_script(settings: Settings, plan: list[PlannedPush]) -> tuple[list[ScriptedLiaison], list[Turn]]:
    """The liaisons and every message they send, sorted by time (ties keep script order)."""
    liaisons = cast(settings)
    writer = ScriptWriter(Campaign.of(settings, plan), settings)
    contact = settings.contact.wecom_userids[0]
    writer.ceremony_turns(liaisons, contact)
    for liaison in liaisons:
        writer.week_turns(liaison)
    writer.summary_turns(liaisons, contact)
    return liaisons, sorted(writer.turns, key=lambda turn: turn.at)
