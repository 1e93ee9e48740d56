"""One read of everything the exports show: activities with their unit, reporter and photo count,
the usable photos, the ceremony turnout, and the totals the ledger and the summary draft print.

Loaded in one session so that the Excel ledger, the Word draft and the photo ZIP built from one
snapshot agree with each other to the last number. Only active records and ready photos count:
withdrawn records, duplicates, rejected and pending photos are what the contact person must not
forward. Rows come in the configured unit order, the order every list and export uses.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.campaign_status import attendees_by_unit, checkins_by_unit, running_between, summaries_by_unit
from storage.models import Activity, Liaison, RecordStatus, Unit
from storage.photos import Photo, PhotoStatus
from storage.vocabulary import ActivityType, CountKind

# The Activity count columns, in the order they are said and printed.
MEASURES: tuple[CountKind, ...] = tuple(CountKind)


@dataclass(frozen=True)
class ExportFilter:
    """What to include; an empty set or None means no restriction."""

    units: frozenset[str] = frozenset()
    first: date | None = None
    last: date | None = None
    types: frozenset[str] = frozenset()

    def keeps_day(self, day: date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


@dataclass(frozen=True)
class ActivityRow:
    activity: Activity
    unit: str
    reporter: str  # the liaison's name, else their user id; "" when unknown
    photos: int  # ready photos attached


@dataclass(frozen=True)
class PhotoRow:
    photo_id: int
    activity_id: int | None  # None: not attached to a record
    unit: str  # the record's unit when attached (the contact may file for another unit), else the sender's
    day: date  # the record's date, else when it was taken, else when it arrived
    type: str | None  # the record's type; None: not attached to a record
    place: str | None
    web_path: str


@dataclass(frozen=True)
class Totals:
    activities: int
    measures: dict[str, int]  # every measure, 0 when nothing was stated
    approximate: frozenset[str]  # measures whose total includes a figure stated as 约/余/多

    @classmethod
    def of(cls, rows: Sequence[Activity]) -> Totals:
        return cls(
            activities=len(rows),
            measures={m: sum(getattr(a, m) or 0 for a in rows) for m in MEASURES},
            approximate=frozenset(m for a in rows for m, approx in a.approximate.items() if approx),
        )


@dataclass(frozen=True)
class CeremonyTurnout:
    registered_units: tuple[str, ...]
    attendees: int
    checked_in_units: tuple[str, ...]


@dataclass(frozen=True)
class ExportData:
    units: tuple[str, ...]  # every unit the filter keeps, in config order, reporting or not
    activities: tuple[ActivityRow, ...]  # by date, then unit order, then record number
    photos: tuple[PhotoRow, ...]  # ready photos, by unit order, then day, then id
    ceremony: CeremonyTurnout
    summaries_in: tuple[str, ...]  # units whose written summary is in

    # Derived once per snapshot so that every writer prints the same figures.
    @cached_property
    def totals(self) -> Totals:
        return Totals.of([row.activity for row in self.activities])

    @cached_property
    def by_unit(self) -> dict[str, Totals]:
        """Every unit in ``units``, in that order."""
        grouped: dict[str, list[Activity]] = {name: [] for name in self.units}
        for row in self.activities:
            grouped[row.unit].append(row.activity)
        return {name: Totals.of(rows) for name, rows in grouped.items()}

    @cached_property
    def by_type(self) -> dict[str, Totals]:
        """The types that occur, in the vocabulary's order, unknown types last."""
        grouped: dict[str, list[Activity]] = defaultdict(list)
        for row in self.activities:
            grouped[row.activity.type].append(row.activity)
        # Keyed by str: a stored type this version does not know is looked up too.
        order: dict[str, int] = {kind: index for index, kind in enumerate(ActivityType)}
        kinds = sorted(grouped, key=lambda kind: (order.get(kind, len(order)), kind))
        return {kind: Totals.of(grouped[kind]) for kind in kinds}

    @cached_property
    def by_day(self) -> dict[date, int]:
        """Activities per first day, dates in order: a span counts once, on the day it began, so
        the days add up to the total."""
        return dict(sorted(Counter(row.activity.date for row in self.activities).items()))

    @cached_property
    def days_running(self) -> frozenset[date]:
        """Every day some activity runs on (each day of a span)."""
        return frozenset(day for row in self.activities for day in row.activity.days())

    @cached_property
    def photos_by_unit(self) -> dict[str, int]:
        return dict(Counter(photo.unit for photo in self.photos))


def load_export_data(session: Session, unit_order: Sequence[str], filters: ExportFilter | None = None) -> ExportData:
    """The snapshot for ``unit_order`` (the configured unit names), narrowed by ``filters``."""
    filters = filters or ExportFilter()
    names = {unit.id: unit.name for unit in session.exec(select(Unit)).all()}
    units = tuple(name for name in unit_order if not filters.units or name in filters.units)
    rank = {name: index for index, name in enumerate(units)}
    photo_counts = _ready_photo_counts(session)
    activities = [
        ActivityRow(activity, names[activity.unit_id], _reporter(liaison), photo_counts.get(activity.id or 0, 0))
        for activity, liaison in _active_activities(session, filters)
        if names[activity.unit_id] in rank
    ]
    activities.sort(key=lambda row: (row.activity.date, rank[row.unit], row.activity.id or 0))
    photos = [photo for photo in _ready_photos(session, names, filters) if photo.unit in rank]
    photos.sort(key=lambda photo: (rank[photo.unit], photo.day, photo.photo_id))
    return ExportData(
        units=units,
        activities=tuple(activities),
        photos=tuple(photos),
        ceremony=_turnout(session, names, rank),
        summaries_in=_in_order((names[u] for u in summaries_by_unit(session)), rank),
    )


def _active_activities(session: Session, filters: ExportFilter) -> Sequence[tuple[Activity, Liaison | None]]:
    query = (
        select(Activity, Liaison)
        .outerjoin(Liaison, col(Activity.liaison_id) == col(Liaison.id))
        .where(Activity.status == RecordStatus.ACTIVE)
    )
    if filters.first is not None or filters.last is not None:
        # A span that overlaps the period belongs to it.
        query = query.where(running_between(filters.first or date.min, filters.last or date.max))
    if filters.types:
        query = query.where(col(Activity.type).in_(filters.types))
    return session.exec(query).all()


def _ready_photo_counts(session: Session) -> dict[int, int]:
    rows = session.exec(
        select(Photo.activity_id, func.count())
        .where(Photo.status == PhotoStatus.READY, col(Photo.activity_id).is_not(None))
        .group_by(col(Photo.activity_id))
    ).all()
    return {activity_id: count for activity_id, count in rows if activity_id is not None}


def _ready_photos(session: Session, names: dict[int | None, str], filters: ExportFilter) -> list[PhotoRow]:
    rows = session.exec(
        select(Photo, Activity)
        .outerjoin(Activity, col(Photo.activity_id) == col(Activity.id))
        .where(Photo.status == PhotoStatus.READY, col(Photo.web_path) != "")
    ).all()
    photos = []
    for photo, activity in rows:
        if activity is not None and activity.status != RecordStatus.ACTIVE:
            continue  # its record was withdrawn: the photo went with it
        if filters.types and (activity is None or activity.type not in filters.types):
            continue  # an unattached photo has no type to match
        day = activity.date if activity else _photo_day(photo.taken_at, photo.created_at)
        if not filters.keeps_day(day):
            continue
        photos.append(
            PhotoRow(
                photo_id=photo.id or 0,
                activity_id=activity.id if activity else None,
                unit=names[activity.unit_id if activity else photo.unit_id],
                day=day,
                type=activity.type if activity else None,
                place=activity.location if activity else None,
                web_path=photo.web_path,
            )
        )
    return photos


def _photo_day(taken_at: datetime | None, created_at: datetime) -> date:
    return (taken_at or created_at).date()


def _reporter(liaison: Liaison | None) -> str:
    if liaison is None:
        return ""
    return liaison.name or liaison.user_id


def _turnout(session: Session, names: dict[int | None, str], rank: dict[str, int]) -> CeremonyTurnout:
    attendees = {names[u]: people for u, people in attendees_by_unit(session).items() if names[u] in rank}
    checked_in = [names[u] for u in checkins_by_unit(session)]
    return CeremonyTurnout(
        registered_units=_in_order(attendees, rank),
        attendees=sum(len(people) for people in attendees.values()),
        checked_in_units=_in_order(checked_in, rank),
    )


def _in_order(names: Iterable[str], rank: dict[str, int]) -> tuple[str, ...]:
    """The names the filter keeps, in unit order."""
    return tuple(sorted((name for name in names if name in rank), key=rank.__getitem__))


def report_days(
    ceremony_day: date, week_start: date, week_end: date, data: ExportData | None = None
) -> tuple[date, ...]:
    """The campaign's days, from the launch ceremony (if it comes first) to the end of the week,
    plus any other day ``data`` has an activity running on."""
    first = min(ceremony_day, week_start)
    days = {first + timedelta(days=n) for n in range((week_end - first).days + 1)}
    return tuple(sorted(days | (data.days_running if data is not None else frozenset())))
