"""`weekbot demo --quick`: scripted liaisons bind and report through the sandbox and the real HTTP path,
send photos of their activities (generated, with EXIF capture times inside the week, one sent
twice), then the stored records print as a table.

The demo runs on a manual clock set inside the campaign week so that 今天/昨天 mean campaign days.
It leaves its database and photos behind (in WEEKBOT_DATA_DIR / WEEKBOT_DATABASE_URL, or a fresh
directory it names) so later commands read it: `weekbot export` then has real content.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select

from bot.config import Settings
from bot.demo.common import demo_photo, demo_settings, export_hint, open_sandbox, text_table
from scheduler.clock import TZ, ManualClock
from storage.models import Activity, Unit
from storage.photos import Photo, PhotoStatus
from storage.vocabulary import CountKind, type_label


@dataclass(frozen=True)
class Line:
    user: str
    text: str  # "{code:单位}" is replaced by that unit's invite code
    minutes_later: int = 7
    # Photos sent right after the text, by generator seed; a seed sent again is the same photo.
    photos: tuple[int, ...] = ()


SCRIPT: tuple[Line, ...] = (
    Line("tianlin", "帮助"),
    Line("visitor", "今天在商场搞了宣传"),
    Line("wangl", "绑定 {code:市商务局}"),
    Line("wangl", "今天上午在新华路商圈搞了集中宣传，发了两百多份折页，咨询的有四十来人", photos=(1, 2)),
    Line("lihg", "绑定 {code:朝阳海关}"),
    Line("lihg", "海关今天在朝阳海关监管场所举办侵权货物宣传展示活动，企业代表25人参观", photos=(3, 4)),
    Line("kjzhang", "绑定 {code:市科技局}"),
    Line("kjzhang", "昨天下午走访了两家企业，帮他们梳理了专利布局", photos=(5,)),
    Line("kjzhang", "双塔区科技产业园", minutes_later=2),
    Line("jpzhao", "绑定 {code:建平县知识产权局}"),
    Line("jpzhao", "今天一是在建平县城广场集中宣传，发放资料500份；二是到3家地标企业上门指导", photos=(6, 7, 6)),
    Line("wangl", "【市公安局】今天在步行街开展宣传，发放资料100份"),
    Line("wangl", "改 咨询 45"),
    Line("tianlin", "【市委宣传部】今天在市委党校举办知识产权专题报告会，参会干部150人", photos=(8,)),
)


async def run_quick(settings: Settings) -> int:
    settings, where = demo_settings(settings)
    # The second day of the week, so that 昨天 is a campaign day too.
    start = datetime.combine(settings.campaign.week_start, datetime.min.time(), TZ) + timedelta(days=1, hours=9)
    clock = ManualClock(start)
    async with AsyncExitStack() as stack:
        sandbox = await open_sandbox(settings, clock, stack)
        settings, runtime = sandbox.settings, sandbox.runtime
        codes = sandbox.invite_codes()
        print(f"== {settings.campaign.name} · 演示（沙箱企业微信，{sandbox.bot_url}/wechat/work）==\n")
        for line in SCRIPT:
            text = _fill_codes(line.text, codes)
            clock.advance(timedelta(minutes=line.minutes_later))
            user = sandbox.user(line.user)
            _print_turn(clock, line.user, text, await user.say(text, clock.now()))
            for seed in line.photos:
                clock.advance(timedelta(minutes=1))
                fields = sandbox.add_photo(demo_photo(seed, clock.now() - timedelta(minutes=10)))
                _print_turn(clock, line.user, f"[图片{seed}]", await user.send("image", fields, clock.now()))
        # Downloading and processing photos is background work; here it runs to the end at once.
        await sandbox.background.media.run_until_idle()
        rows = runtime.db.call(
            lambda s: s.exec(select(Activity, Unit).join(Unit).order_by(Activity.id)).all()  # type: ignore[arg-type]
        )
        print(render_table(rows))
        photos = runtime.db.call(lambda s: list(s.exec(select(Photo)).all()))
        print(photo_line(photos))
    print(f"\n数据已保存：{where}")
    print(export_hint(settings.data_dir))
    return 0


def _print_turn(clock: ManualClock, user: str, said: str, reply: str | None) -> None:
    print(f"[{clock.now():%m-%d %H:%M}] {user}: {said}")
    print("  助手: " + (reply or "（无回复）").replace("\n", "\n        ") + "\n")


def photo_line(photos: Sequence[Photo]) -> str:
    ready = [p for p in photos if p.status == PhotoStatus.READY]
    duplicates = sum(p.status == PhotoStatus.DUPLICATE for p in photos)
    attached = len({p.activity_id for p in ready if p.activity_id is not None})
    return f"收到图片 {len(photos)} 张：{len(ready)} 张可用（关联到 {attached} 条活动），{duplicates} 张重复已忽略。"


def _fill_codes(text: str, codes: dict[str, str]) -> str:
    for unit, code in codes.items():
        text = text.replace("{code:" + unit + "}", code)
    return text


def render_table(rows: Sequence[tuple[Activity, Unit]]) -> str:
    header = ["#", "单位", "日期", "类型", "地点", *(kind.label for kind in CountKind)]
    body = [
        [
            str(a.id),
            u.name,
            a.date.isoformat(),
            type_label(a.type),
            a.location or "-",
            *(_num(getattr(a, kind)) for kind in CountKind),
        ]
        for a, u in rows
    ]
    return f"已记录活动 {len(body)} 条：\n" + text_table(header, body)


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)
