"""What the contact person reads: the daily and weekly digests, the final rollup, the roll call
and the summary status, plus a collage of the day's photos.

Texts are composed from the database when a push fires (or an admin asks), never from the plan.
WeCom text messages carry at most 2048 bytes, so long lists are clipped with a note.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Protocol

from PIL import Image, ImageOps
from sqlmodel import Session, col, or_, select

from scheduler.audiences import reporting_units
from scheduler.campaign import CampaignConfig, CeremonyConfig, UnitConfig, UnitKind
from scheduler.clock import TZ
from scheduler.delivery import UNREACHABLE_ERRCODES
from scheduler.push_texts import clock_label, date_label, moment_label, span_label
from storage.campaign_status import (
    activities_by_unit,
    attendees_by_unit,
    checkins_by_unit,
    declined_unit_ids,
    running_between,
    summaries_by_unit,
    units_by_name,
)
from storage.models import Activity, Liaison, Role
from storage.outbox import OutboxMessage, OutboxStatus
from storage.photo_store import PhotoStore
from storage.photos import Photo, PhotoStatus
from storage.vocabulary import CountKind, type_label
from storage.wording import clip, say_span_of

TILE = 240
MAX_TILES = 12


class DigestSettings(Protocol):
    @property
    def campaign(self) -> CampaignConfig: ...
    @property
    def ceremony(self) -> CeremonyConfig: ...
    @property
    def units(self) -> tuple[UnitConfig, ...]: ...


@dataclass(frozen=True)
class Digest:
    text: str
    image: bytes | None = None  # JPEG collage, None when there are no photos
    # For the campaign's group chat (group robot): the text without the lines meant for the contact
    # person alone (failed pushes, unreachable people); empty when it is the same as text.
    group_text: str = ""

    @property
    def for_group(self) -> str:
        return self.group_text or self.text


def _with_problems(lines: list[str], problems: list[str], image: bytes | None = None) -> Digest:
    """A digest whose contact-only delivery problems stay out of its group text."""
    public = clip("\n".join(lines))
    if not problems:
        return Digest(public, image)
    return Digest(clip("\n".join(lines + problems)), image, public)


def say_totals(activities: Iterable[Activity]) -> str:
    rows = list(activities)
    parts = []
    for kind in CountKind:
        values = [getattr(a, kind) for a in rows if getattr(a, kind) is not None]
        if values:
            parts.append(f"{kind.label}{sum(values)}{kind.unit}")
    return "，".join(parts)


def _unit_line(name: str, activities: list[Activity]) -> str:
    kinds = "、".join(dict.fromkeys(_kind(a) for a in activities))
    counts = say_totals(activities)
    return f"· {name}：{len(activities)}场（{kinds}）" + (f"，{counts}" if counts else "")


def _kind(activity: Activity) -> str:
    """The activity's type, with its span when it runs several days (成果展示4月22日至24日)."""
    return type_label(activity.type) + (say_span_of(activity) or "")


def _names(names: Sequence[str]) -> str:
    return "、".join(names) if names else "无"


class DigestWriter:
    def __init__(self, settings: DigestSettings, photos: PhotoStore | None) -> None:
        self.settings = settings
        self.photos = photos

    def _ids(self, session: Session) -> dict[str, int]:
        found = units_by_name(session, (unit.name for unit in self.settings.units))
        return {name: unit.id for name, unit in found.items() if unit.id is not None}

    def _activity_report(self, session: Session, first: date, last: date) -> tuple[list[str], list[str], int]:
        """(lines for units that reported, names of reporting units that did not, activity count)."""
        ids = self._ids(session)
        grouped = activities_by_unit(session, first, last)
        lines, silent, total = [], [], 0
        for unit in self.settings.units:
            activities = grouped.get(ids.get(unit.name, -1), [])
            total += len(activities)
            if activities:
                lines.append(_unit_line(unit.name, activities))
            elif unit.kind != UnitKind.CHAIR:
                silent.append(unit.name)
        all_rows = [a for rows in grouped.values() for a in rows]
        totals = f"共{total}场活动" + (f"，{say_totals(all_rows)}" if all_rows else "")
        return [totals, *lines], silent, total

    def progress(self, session: Session, day: date) -> str:
        """进度: one day at a glance."""
        lines, silent, _ = self._activity_report(session, day, day)
        reported = len(reporting_units(self.settings.units)) - len(silent)
        head = f"{date_label(day)}进度：已报{reported}/{reported + len(silent)}个单位，{lines[0]}。"
        return clip("\n".join([head, *lines[1:], f"未报{len(silent)}个，发“未报”查看。"]))

    def silent(self, session: Session, day: date) -> str:
        """未报: the units with nothing reported for the day, and who can be nudged."""
        _, silent, _ = self._activity_report(session, day, day)
        if not silent:
            return f"{date_label(day)}所有单位都已报送。"
        unbound = set(self._without_liaison(session, silent))
        names = [f"{name}（未绑定）" if name in unbound else name for name in silent]
        return clip(f"{date_label(day)}未报（{len(silent)}个）：{_names(names)}\n发“提醒 单位名”可单独提醒。")

    def day_digest(self, session: Session, day: date, now: datetime) -> Digest:
        lines, silent, _ = self._activity_report(session, day, day)
        text = [f"今日汇总（{date_label(day)}）：{lines[0]}", *lines[1:], f"未报（{len(silent)}）：{_names(silent)}"]
        problems = self._delivery_problems(session, now - timedelta(days=1))
        return _with_problems(text, problems, self.collage_for(session, day, day))

    def week_digest(self, session: Session, now: datetime) -> Digest:
        campaign = self.settings.campaign
        lines, silent, _ = self._activity_report(session, campaign.week_start, campaign.week_end)
        span = span_label(campaign.week_start, campaign.week_end)
        text = [f"宣传周汇总（{span}）：{lines[0]}", *lines[1:], f"全周未报（{len(silent)}）：{_names(silent)}"]
        problems = self._delivery_problems(session, now - timedelta(days=1))
        return _with_problems(text, problems, self.collage_for(session, campaign.week_start, campaign.week_end))

    def final_rollup(self, session: Session, deadline: datetime, now: datetime) -> Digest:
        campaign = self.settings.campaign
        lines, _, _ = self._activity_report(session, campaign.week_start, campaign.week_end)
        text = [f"总结截止（{moment_label(deadline)}）汇总：", self.summary_status(session), f"全周{lines[0]}"]
        return _with_problems(text, self._delivery_problems(session, now - timedelta(days=1)))

    def summary_status(self, session: Session) -> str:
        """总结: who has handed in the summary, and who has not."""
        ids = self._ids(session)
        submitted = summaries_by_unit(session)
        done, missing = [], []
        for unit in reporting_units(self.settings.units):
            row = submitted.get(ids.get(unit.name, -1))
            if row is None:
                missing.append(unit.name)
            else:
                how = "联络员告知" if row.how == "liaison" else "联系人登记"
                done.append(f"{unit.name}（{date_label(row.at.date())}{clock_label(row.at)}，{how}）")
        return clip(f"总结已交（{len(done)}）：{_names(done)}\n未交（{len(missing)}）：{_names(missing)}")

    def roll_call(self, session: Session) -> str:
        """参会: confirmed attendees, who checked in, who is missing."""
        ids = self._ids(session)
        attendees, checkins = attendees_by_unit(session), checkins_by_unit(session)
        declined = declined_unit_ids(session)
        confirmed, arrived, missing, absent = [], [], [], []
        for unit in self.settings.units:
            unit_id = ids.get(unit.name, -1)
            people = attendees.get(unit_id, [])
            if people:
                confirmed.append(f"{unit.name}：" + "、".join(f"{p.name}{p.phone and ' ' + p.phone}" for p in people))
            if unit_id in checkins:
                arrived.append(unit.name)
            elif unit_id in declined:
                absent.append(unit.name)
            elif people or unit.kind == UnitKind.MEMBER:
                missing.append(unit.name + ("" if people else "（未报名）"))
        ceremony = self.settings.ceremony
        lines = [f"启动仪式（{moment_label(ceremony.at)}）参会：已报名{len(confirmed)}个单位", *confirmed]
        lines += [f"已签到（{len(arrived)}）：{_names(arrived)}", f"未到/未报名（{len(missing)}）：{_names(missing)}"]
        if absent:
            lines.append(f"不参加（{len(absent)}）：{_names(absent)}")
        return clip("\n".join(lines))

    def _without_liaison(self, session: Session, names: Sequence[str]) -> list[str]:
        ids = self._ids(session)
        bound = set(session.exec(select(Liaison.unit_id).where(Liaison.role == Role.LIAISON)).all())
        return [name for name in names if ids.get(name) not in bound]

    def _delivery_problems(self, session: Session, since: datetime) -> list[str]:
        """Failed pushes and unreachable people since ``since``, and units nobody can be reached at."""
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED, col(OutboxMessage.finished_at) >= since)
            .order_by(col(OutboxMessage.id))
        ).all()
        failed = [row for row in rows if row.errcode not in UNREACHABLE_ERRCODES]
        unreachable = [row for row in rows if row.errcode in UNREACHABLE_ERRCODES]
        lines = []
        if failed:
            lines.append(f"推送失败（{len(failed)}）：" + "、".join(_who(row) for row in failed))
        if unreachable:
            lines.append(f"无法送达（{len(unreachable)}）：" + "、".join(_who(row) for row in unreachable))
        unbound = self._without_liaison(session, [u.name for u in reporting_units(self.settings.units)])
        if unbound:
            lines.append(f"未绑定联络员（{len(unbound)}）：{_names(unbound)}")
        return lines

    def collage_for(self, session: Session, first: date, last: date) -> bytes | None:
        """A JPEG grid of the period's photos (up to MAX_TILES, taking units in turn), or None."""
        if self.photos is None:
            return None
        start = datetime.combine(first, datetime.min.time(), TZ)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), TZ)
        rows = session.exec(
            select(Photo)
            .outerjoin(Activity, col(Photo.activity_id) == col(Activity.id))
            .where(
                Photo.status == PhotoStatus.READY,
                col(Photo.thumb_path) != "",
                or_(
                    running_between(first, last),
                    col(Photo.activity_id).is_(None) & (col(Photo.created_at) >= start) & (col(Photo.created_at) < end),
                ),
            )
            .order_by(col(Photo.id))
        ).all()
        images = []
        for photo in _units_in_turn(rows)[:MAX_TILES]:
            try:
                images.append(self.photos.open_bytes(photo.thumb_path))
            except (OSError, ValueError):
                continue  # a file gone missing must not cost the contact the whole digest
        return collage(images)


def _who(row: OutboxMessage) -> str:
    unit = row.extra.get("unit") or "联系人"
    code = f"，错误码{row.errcode}" if row.errcode is not None else ""
    return f"{unit}·{row.recipient}（{row.kind}{code}）"


def _units_in_turn(photos: Sequence[Photo]) -> list[Photo]:
    """Round-robin over units so one busy unit does not fill the whole collage."""
    queues: dict[int, list[Photo]] = {}
    for photo in photos:
        queues.setdefault(photo.unit_id, []).append(photo)
    ordered: list[Photo] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def collage(images: Sequence[bytes]) -> bytes | None:
    """Square tiles, up to four a row, as one JPEG; undecodable images are skipped."""
    tiles = []
    for data in images:
        try:
            with Image.open(BytesIO(data)) as image:
                tiles.append(ImageOps.fit(image.convert("RGB"), (TILE, TILE)))
        except (OSError, ValueError, Image.DecompressionBombError):
            continue
    if not tiles:
        return None
    columns = min(4, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    gap = 4
    sheet = Image.new("RGB", (columns * (TILE + gap) + gap, rows * (TILE + gap) + gap), (255, 255, 255))
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        sheet.paste(tile, (gap + column * (TILE + gap), gap + row * (TILE + gap)))
    out = BytesIO()
    sheet.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()
