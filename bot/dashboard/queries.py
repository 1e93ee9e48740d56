"""What the desk shows, read from the database in one place: the campaign overview, activity and
photo lists, a unit's page and failed pushes. Functions take a Session and run on the database
thread (``desk.run``)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from bot.config import Settings
from handlers.inbound import TEXTUAL
from scheduler.campaign import UnitKind
from storage.campaign_status import attendees_by_unit, checkins_by_unit, running_between, summaries_by_unit
from storage.export_queries import ExportData, ExportFilter, Totals, load_export_data, report_days
from storage.models import Activity, AuditLog, InboundMessage, Liaison, RecordStatus, Role, Unit
from storage.outbox import OutboxMessage, OutboxStatus
from storage.photos import Photo, PhotoStatus
from storage.rehandling import InboundRetry, given_up
from storage.wording import TYPE_LABELS

T = TypeVar("T")
PAGE_SIZE = 50
WALL_PAGE_SIZE = 60
FAILED_PUSHES_SHOWN = 200
UNIT_PAGE_PHOTOS = 24
LONG_TEXTS_SHOWN = 20


@dataclass(frozen=True)
class Paged(Generic[T]):
    rows: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


@dataclass(frozen=True)
class ActivityFilter:
    unit_id: int | None = None
    day: date | None = None
    kind: str | None = None


@dataclass(frozen=True)
class ActivityRow:
    activity: Activity
    unit_name: str
    reporter: str
    photo_ids: tuple[int, ...]


@dataclass(frozen=True)
class PhotoRow:
    photo: Photo
    unit_name: str
    activity: Activity | None


@dataclass(frozen=True)
class UnitStatus:
    """One unit's line in the units × days grid."""

    unit_id: int
    name: str
    owes_reports: bool  # everyone but the chair, who collects
    by_day: tuple[int, ...]  # activities running on each of ``days`` (a span on each of its days)
    attendees: tuple[str, ...]
    checked_in: bool
    summary_at: datetime | None


@dataclass(frozen=True)
class Overview:
    days: tuple[date, ...]
    due: frozenset[date]  # the days a unit that reported nothing shows as silent
    totals: Totals
    by_type: tuple[tuple[str, Totals], ...]  # (type label, totals), in TYPE_LABELS order
    by_day: tuple[int, ...]
    units: tuple[UnitStatus, ...]
    photos: int

    @property
    def reporting(self) -> list[UnitStatus]:
        return [u for u in self.units if u.owes_reports]

    @property
    def reported(self) -> list[UnitStatus]:
        """Units that owe reports and have sent at least one."""
        return [u for u in self.reporting if sum(u.by_day)]


@dataclass(frozen=True)
class UnitPage:
    unit: Unit
    status: UnitStatus
    days: tuple[date, ...]
    due: frozenset[date]
    liaisons: tuple[Liaison, ...]
    totals: Totals
    records: tuple[ActivityRow, ...]
    photos: tuple[PhotoRow, ...]
    photo_total: int
    long_texts: tuple[LongText, ...] = ()  # latest first, at most LONG_TEXTS_SHOWN
    long_text_total: int = 0


@dataclass(frozen=True)
class LongText:
    """A text over [dialog] max_text_chars: stored, not read by the parser; the desk shows it whole."""

    message: InboundMessage
    sender: Liaison


def campaign_days(settings: Settings, data: ExportData | None = None) -> tuple[date, ...]:
    """From the launch ceremony (if it comes first) to the last day of the week (+ days in data)."""
    campaign = settings.campaign
    return report_days(settings.ceremony.at.date(), campaign.week_start, campaign.week_end, data)


def due_days(settings: Settings, today: date) -> frozenset[date]:
    """The days of the week so far: a unit with nothing reported on one of them is silent."""
    campaign = settings.campaign
    return frozenset(d for d in campaign_days(settings) if campaign.week_start <= d <= min(campaign.week_end, today))


def configured_units(session: Session, settings: Settings) -> list[Unit]:
    """The configured units, in config order (the order every list and export uses)."""
    found = {u.name: u for u in session.exec(select(Unit)).all()}
    return [found[u.name] for u in settings.units if u.name in found]


def _snapshot(session: Session, settings: Settings, unit: str | None = None) -> ExportData:
    """The figures the exports print (of every unit, or one), so the desk and the pack agree."""
    only = ExportFilter(units=frozenset({unit})) if unit else None
    return load_export_data(session, [u.name for u in settings.units], only)


def _unit_statuses(session: Session, settings: Settings, data: ExportData, days: Sequence[date]) -> list[UnitStatus]:
    # A span marks each day it runs (the unit was active that day); it is still one activity.
    per_unit_day = Counter((row.unit, day) for row in data.activities for day in row.activity.days())
    attendees, checkins, summaries = attendees_by_unit(session), checkins_by_unit(session), summaries_by_unit(session)
    kinds = {u.name: u.kind for u in settings.units}
    statuses = []
    for unit in configured_units(session, settings):
        unit_id = unit.id or 0
        summary = summaries.get(unit_id)
        statuses.append(
            UnitStatus(
                unit_id=unit_id,
                name=unit.name,
                owes_reports=kinds[unit.name] != UnitKind.CHAIR,
                by_day=tuple(per_unit_day[(unit.name, day)] for day in days),
                attendees=tuple(a.name for a in attendees.get(unit_id, [])),
                checked_in=unit_id in checkins,
                summary_at=summary.at if summary else None,
            )
        )
    return statuses


def overview(session: Session, settings: Settings, today: date) -> Overview:
    data = _snapshot(session, settings)
    days = campaign_days(settings, data)
    by_type = tuple((label, data.by_type[kind]) for kind, label in TYPE_LABELS.items() if kind in data.by_type)
    return Overview(
        days=days,
        due=due_days(settings, today),
        totals=data.totals,
        by_type=by_type,
        by_day=tuple(data.by_day.get(day, 0) for day in days),
        units=tuple(_unit_statuses(session, settings, data, days)),
        photos=len(data.photos),
    )


def _activity_rows(session: Session, rows: Sequence[Any]) -> list[ActivityRow]:
    """(Activity, unit name, Liaison | None) rows with their ready photos attached."""
    ids = [activity.id for activity, _, _ in rows]
    photo_ids: dict[int, list[int]] = {}
    for photo_id, activity_id in session.exec(
        select(Photo.id, Photo.activity_id)
        .where(col(Photo.activity_id).in_(ids), Photo.status == PhotoStatus.READY)
        .order_by(col(Photo.id))
    ):
        photo_ids.setdefault(activity_id or 0, []).append(photo_id or 0)
    return [
        ActivityRow(activity, unit_name, _reporter(liaison), tuple(photo_ids.get(activity.id or 0, ())))
        for activity, unit_name, liaison in rows
    ]


def _reporter(liaison: Liaison | None) -> str:
    if liaison is None:
        return "—"
    return liaison.name or liaison.user_id


def _activity_query() -> Any:
    return (
        select(Activity, Unit.name, Liaison)
        .join(Unit, col(Activity.unit_id) == col(Unit.id))
        .outerjoin(Liaison, col(Activity.liaison_id) == col(Liaison.id))
    )


def activity_page(session: Session, wanted: ActivityFilter, page: int) -> Paged[ActivityRow]:
    """Active records matching the filter, newest day first."""
    conditions: list[Any] = [Activity.status == RecordStatus.ACTIVE]
    if wanted.unit_id is not None:
        conditions.append(Activity.unit_id == wanted.unit_id)
    if wanted.day is not None:
        conditions.append(running_between(wanted.day, wanted.day))
    if wanted.kind is not None:
        conditions.append(Activity.type == wanted.kind)
    total = session.exec(select(func.count()).select_from(Activity).where(*conditions)).one()
    rows = session.exec(
        _activity_query()
        .where(*conditions)
        .order_by(col(Activity.date).desc(), col(Activity.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return Paged(_activity_rows(session, rows), total, page, PAGE_SIZE)


def activity_row(session: Session, activity_id: int) -> ActivityRow | None:
    rows = session.exec(_activity_query().where(Activity.id == activity_id)).all()
    return _activity_rows(session, rows)[0] if rows else None


def merge_candidates(session: Session, activity: Activity) -> list[Activity]:
    """The unit's other active records: what could be merged into this one."""
    return list(
        session.exec(
            select(Activity)
            .where(
                Activity.unit_id == activity.unit_id, Activity.status == RecordStatus.ACTIVE, Activity.id != activity.id
            )
            .order_by(col(Activity.date), col(Activity.id))
        ).all()
    )


def audit_trail(session: Session, target: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.target == target).order_by(col(AuditLog.id))).all())


def _photo_query(*columns: Any) -> Any:
    return (
        select(*columns)
        .select_from(Photo)
        .join(Unit, col(Photo.unit_id) == col(Unit.id))
        .outerjoin(Activity, col(Photo.activity_id) == col(Activity.id))
    )


def photo_page(session: Session, unit_id: int | None, page: int, size: int = WALL_PAGE_SIZE) -> Paged[PhotoRow]:
    """Ready photos, newest first, optionally of one unit; like the photo ZIP, not those of
    withdrawn records."""
    conditions: list[Any] = [
        Photo.status == PhotoStatus.READY,
        or_(col(Photo.activity_id).is_(None), Activity.status == RecordStatus.ACTIVE),
    ]
    if unit_id is not None:
        conditions.append(Photo.unit_id == unit_id)
    total = session.exec(_photo_query(func.count()).where(*conditions)).one()
    rows = session.exec(
        _photo_query(Photo, Unit.name, Activity)
        .where(*conditions)
        .order_by(col(Photo.id).desc())
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Paged([PhotoRow(*row) for row in rows], total, page, size)


def photo_row(session: Session, photo_id: int) -> PhotoRow | None:
    """Any ready photo, also one of a withdrawn record (its record page still shows it)."""
    row = session.exec(
        _photo_query(Photo, Unit.name, Activity).where(Photo.id == photo_id, Photo.status == PhotoStatus.READY)
    ).first()
    return PhotoRow(*row) if row else None


def unit_page(session: Session, settings: Settings, unit_id: int, today: date) -> UnitPage | None:
    unit = session.get(Unit, unit_id)
    if unit is None:
        return None
    data = _snapshot(session, settings, unit.name)
    days = campaign_days(settings, data)
    status = next((s for s in _unit_statuses(session, settings, data, days) if s.unit_id == unit_id), None)
    if status is None:
        return None  # a unit no longer in the config
    rows = session.exec(
        _activity_query().where(Activity.unit_id == unit_id).order_by(col(Activity.date), col(Activity.id))
    ).all()
    liaisons = session.exec(
        select(Liaison).where(Liaison.unit_id == unit_id, Liaison.role != Role.UNBOUND).order_by(col(Liaison.id))
    ).all()
    photos = photo_page(session, unit_id, 1, UNIT_PAGE_PHOTOS)
    long_texts, long_text_total = _long_texts(session, unit_id, settings.dialog.max_text_chars)
    return UnitPage(
        unit=unit,
        status=status,
        days=days,
        due=due_days(settings, today),
        liaisons=tuple(liaisons),
        totals=data.by_unit[unit.name],
        records=tuple(_activity_rows(session, rows)),
        photos=tuple(photos.rows),
        photo_total=photos.total,
        long_texts=long_texts,
        long_text_total=long_text_total,
    )


def _long_texts(session: Session, unit_id: int, max_chars: int) -> tuple[tuple[LongText, ...], int]:
    """The unit's liaisons' texts too long to be read (the bot asked them for shorter reports)."""
    query = (
        select(InboundMessage, Liaison)
        .join(
            Liaison, (col(Liaison.channel) == InboundMessage.channel) & (col(Liaison.user_id) == InboundMessage.user_id)
        )
        .where(
            Liaison.unit_id == unit_id,
            col(InboundMessage.msg_type).in_(TEXTUAL),
            func.length(InboundMessage.content) > max_chars,
        )
    )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    latest = query.order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
    rows = session.exec(latest.limit(LONG_TEXTS_SHOWN)).all()
    return tuple(LongText(message, sender) for message, sender in rows), total


def failed_pushes(session: Session) -> list[OutboxMessage]:
    """Pushes that gave up (failed) or came too late to send (expired), latest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.status).in_((OutboxStatus.FAILED, OutboxStatus.EXPIRED)))
            .order_by(col(OutboxMessage.finished_at).desc(), col(OutboxMessage.id).desc())
            .limit(FAILED_PUSHES_SHOWN)
        ).all()
    )


def unhandled_messages(session: Session) -> list[tuple[InboundMessage, InboundRetry]]:
    """Inbound messages the background re-handler gave up on (bot.workers.rehandler), latest first."""
    return given_up(session, FAILED_PUSHES_SHOWN)
