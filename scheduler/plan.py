"""The campaign's scheduled pushes as data: what goes out when, to whom, until when.

``build_plan`` turns the config into a time-sorted list of PlannedPush. Nothing is sent here: an
audience is a name the executor evaluates when the push fires (who is still unconfirmed, who has
not reported today), and ``key`` lets it send each push at most once. A push whose time passed
while the service was down is still worth sending only until ``expires_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Protocol

from scheduler import push_texts
from scheduler.calendar import ONE_DAY, CampaignCalendar
from scheduler.campaign import CampaignConfig, CeremonyConfig, ContactConfig, PushConfig
from scheduler.cards import Card, rsvp_card, summary_card
from scheduler.clock import TZ


class PlanError(ValueError):
    """The [pushes] times do not fit the campaign's dates (message names the config key)."""


class PushKind(StrEnum):
    RSVP_REQUEST = "rsvp_request"
    RSVP_CHASE = "rsvp_chase"
    CEREMONY_REMINDER = "ceremony_reminder"
    CHECKIN_OPEN = "checkin_open"
    WEEK_KICKOFF = "week_kickoff"
    REPORT_NUDGE = "report_nudge"
    DIGEST = "digest"
    SUMMARY_REMINDER = "summary_reminder"
    FINAL_ROLLUP = "final_rollup"


class AdHocPush(StrEnum):
    """Outbox kinds of pushes outside the plan."""

    NOTICE = "notice"  # the contact person's 通知 to units
    MANUAL_NUDGE = "manual_nudge"  # the contact person's 提醒 to one unit
    PHOTO_NOTICE = "photo_notice"  # a photo could not be used: its sender is told


class Audience(StrEnum):
    """Who receives a push, resolved when it fires."""

    MEMBER_UNITS = "member_units"
    UNCONFIRMED_UNITS = "unconfirmed_units"  # member units with no ceremony attendee yet
    CONFIRMED_LIAISONS = "confirmed_liaisons"  # people registered for the ceremony
    ALL_LIAISONS = "all_liaisons"
    SILENT_UNITS_TODAY = "silent_units_today"  # units with no activity reported for that day
    CONTACT = "contact"
    UNITS_WITHOUT_SUMMARY = "units_without_summary"


class PlanSettings(Protocol):
    """The parts of bot.config.Settings the plan reads."""

    @property
    def campaign(self) -> CampaignConfig: ...
    @property
    def ceremony(self) -> CeremonyConfig: ...
    @property
    def contact(self) -> ContactConfig: ...
    @property
    def pushes(self) -> PushConfig: ...


@dataclass(frozen=True)
class PlannedPush:
    at: datetime
    kind: PushKind
    audience: Audience
    text: str
    expires_at: datetime
    # On WeCom the push goes as this template card (the Official Account gets the text), and a
    # click on it counts until ``card_until``.
    card: Card | None = None
    card_until: datetime | None = None

    @property
    def key(self) -> str:
        # By date, not time: moving a push's time in config must not send it a second time.
        return f"{self.kind}:{self.at.date().isoformat()}"

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "at": self.at.isoformat(),
            "kind": str(self.kind),
            "audience": str(self.audience),
            "msgtype": "template_card" if self.card else "text",
            "text": self.text,
            "key": self.key,
            "expires_at": self.expires_at.isoformat(),
        }
        if self.card is not None:
            found["card_type"] = self.card.as_json("")["card_type"]
            found["buttons"] = [button.as_json() for button in self.card.buttons]
        return found


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TZ)


def _end_of_day(day: date) -> datetime:
    return _at(day + ONE_DAY, time(0, 0))


def build_plan(settings: PlanSettings) -> list[PlannedPush]:
    """Every scheduled push of the campaign, sorted by time.

    Raises CalendarError for a year the official calendar does not know, PlanError when a
    configured time falls on the wrong side of the ceremony or the deadline.
    """
    calendar = CampaignCalendar(settings.campaign)
    pushes = [
        *_ceremony_pushes(settings, calendar),
        *_week_pushes(settings, calendar),
        *_summary_pushes(settings, calendar),
    ]
    return sorted(pushes, key=lambda push: (push.at, push.kind))


def _ceremony_pushes(settings: PlanSettings, calendar: CampaignCalendar) -> list[PlannedPush]:
    campaign, ceremony, config = settings.campaign, settings.ceremony, settings.pushes
    starts = ceremony.at
    ceremony_day = starts.date()

    def before(workdays: int, clock: time, config_key: str) -> datetime:
        at = _at(calendar.nth_workday_before(ceremony_day, workdays), clock)
        if at >= starts:
            raise PlanError(
                f"pushes.{config_key}: {clock:%H:%M} on the ceremony day is not before the ceremony ({starts:%H:%M})"
            )
        return at

    request_at = before(config.rsvp_request_workdays_before, config.rsvp_request_time, "rsvp_request_time")
    card_title = f"{campaign.name}启动仪式参会回执"
    request_text = push_texts.rsvp_request(campaign, ceremony)
    plan = [
        PlannedPush(
            at=request_at,
            kind=PushKind.RSVP_REQUEST,
            audience=Audience.MEMBER_UNITS,
            text=request_text,
            expires_at=_end_of_day(request_at.date()),
            card=rsvp_card(card_title, request_text),
            card_until=starts,
        )
    ]
    for workdays in config.rsvp_chase_workdays_before:
        at = before(workdays, config.rsvp_chase_time, "rsvp_chase_time")
        chase_text = push_texts.rsvp_chase(campaign, ceremony)
        plan.append(
            PlannedPush(
                at=at,
                kind=PushKind.RSVP_CHASE,
                audience=Audience.UNCONFIRMED_UNITS,
                text=chase_text,
                expires_at=_end_of_day(at.date()),
                card=rsvp_card(card_title, chase_text),
                card_until=starts,
            )
        )
    for index, reminder in enumerate(config.ceremony_reminders):
        at = before(reminder.workdays_before, reminder.at, f"ceremony_reminders.{index}.at")
        plan.append(
            PlannedPush(
                at=at,
                kind=PushKind.CEREMONY_REMINDER,
                audience=Audience.CONFIRMED_LIAISONS,
                text=push_texts.ceremony_reminder(campaign, ceremony, at.date()),
                expires_at=starts,
            )
        )
    plan.append(
        PlannedPush(
            at=before(0, config.checkin_open_time, "checkin_open_time"),
            kind=PushKind.CHECKIN_OPEN,
            audience=Audience.CONFIRMED_LIAISONS,
            text=push_texts.checkin_open(ceremony),
            expires_at=starts,
        )
    )
    return plan


def _week_pushes(settings: PlanSettings, calendar: CampaignCalendar) -> list[PlannedPush]:
    campaign, config = settings.campaign, settings.pushes
    deadline = calendar.summary_deadline()
    plan = [
        PlannedPush(
            at=_at(campaign.week_start, config.week_kickoff_time),
            kind=PushKind.WEEK_KICKOFF,
            audience=Audience.ALL_LIAISONS,
            # How to report stays useful all week to a unit that missed the first morning.
            text=push_texts.week_kickoff(campaign, settings.contact, deadline),
            expires_at=_end_of_day(campaign.week_end),
        )
    ]
    nudge_days = calendar.week_days() if config.nudge_on_rest_days else calendar.week_workdays()
    plan += [
        PlannedPush(
            at=_at(day, config.report_nudge_time),
            kind=PushKind.REPORT_NUDGE,
            audience=Audience.SILENT_UNITS_TODAY,
            text=push_texts.report_nudge(day),
            expires_at=_end_of_day(day),
        )
        for day in nudge_days
    ]
    plan += [
        PlannedPush(
            at=_at(day, config.digest_evening_time),
            kind=PushKind.DIGEST,
            audience=Audience.CONTACT,
            text=push_texts.daily_digest(day),
            expires_at=_end_of_day(day),
        )
        for day in calendar.week_days()
    ]
    week_digest_day = calendar.nth_workday_after(campaign.week_end, 1)
    plan.append(
        PlannedPush(
            at=_at(week_digest_day, config.digest_morning_time),
            kind=PushKind.DIGEST,
            audience=Audience.CONTACT,
            text=push_texts.week_digest(campaign),
            expires_at=_end_of_day(week_digest_day),
        )
    )
    return plan


def _summary_pushes(settings: PlanSettings, calendar: CampaignCalendar) -> list[PlannedPush]:
    campaign, config = settings.campaign, settings.pushes
    deadline = calendar.summary_deadline()
    if config.summary_reminder_time >= deadline.time():
        raise PlanError(
            f"pushes.summary_reminder_time: {config.summary_reminder_time:%H:%M} is not before the"
            f" summary deadline ({deadline:%H:%M})"
        )
    rollup_at = _at(deadline.date(), config.final_rollup_time)
    if rollup_at <= deadline:
        raise PlanError(
            f"pushes.final_rollup_time: {config.final_rollup_time:%H:%M} is not after the summary"
            f" deadline ({deadline:%H:%M})"
        )
    # The week's last day, the first working day after it, the deadline day: one reminder a day
    # (a 1-day deadline merges the last two) and none after a hand-set early deadline.
    candidates = {campaign.week_end, calendar.nth_workday_after(campaign.week_end, 1), deadline.date()}
    reminder_days = sorted(day for day in candidates if day <= deadline.date())
    plan = []
    for day in reminder_days:
        text = push_texts.summary_reminder(campaign, settings.contact, day, deadline)
        plan.append(
            PlannedPush(
                at=_at(day, config.summary_reminder_time),
                kind=PushKind.SUMMARY_REMINDER,
                audience=Audience.UNITS_WITHOUT_SUMMARY,
                text=text,
                expires_at=min(_end_of_day(day), deadline),
                card=summary_card(f"{campaign.name}工作总结", text),
                # A summary sent late is still worth recording, until the final roll-up is done.
                card_until=_end_of_day(deadline.date() + ONE_DAY),
            )
        )
    plan.append(
        PlannedPush(
            at=rollup_at,
            kind=PushKind.FINAL_ROLLUP,
            audience=Audience.CONTACT,
            text=push_texts.final_rollup(),
            # The contact still wants the rollup the next day if the service was down at the deadline.
            expires_at=_end_of_day(deadline.date() + ONE_DAY),
        )
    )
    return plan
