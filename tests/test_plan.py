from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli.main import main
from bot.config import ConfigError, Settings, load_config
from scheduler.campaign import LeadTime, PushConfig
from scheduler.clock import TZ
from scheduler.plan import Audience, PlanError, PlannedPush, PushKind, build_plan
from tests.conftest import EXAMPLE


def with_changes(settings: Settings, campaign: dict[str, object] | None = None, **pushes: object) -> Settings:
    return settings.model_copy(
        update={
            "campaign": settings.campaign.model_copy(update=campaign or {}),
            "pushes": PushConfig.model_validate({**settings.pushes.model_dump(), **pushes}),
        }
    )


def by_kind(plan: list[PlannedPush], kind: PushKind) -> list[PlannedPush]:
    return [push for push in plan if push.kind == kind]


def dates(pushes: list[PlannedPush]) -> list[date]:
    return [push.at.date() for push in pushes]


def example_with(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_2026_plan_kinds_and_counts(settings: Settings) -> None:
    plan = build_plan(settings)
    assert Counter(push.kind for push in plan) == {
        PushKind.RSVP_REQUEST: 1,
        PushKind.RSVP_CHASE: 2,
        PushKind.CEREMONY_REMINDER: 2,
        PushKind.CHECKIN_OPEN: 1,
        PushKind.WEEK_KICKOFF: 1,
        PushKind.REPORT_NUDGE: 5,
        PushKind.DIGEST: 8,
        PushKind.SUMMARY_REMINDER: 3,
        PushKind.FINAL_ROLLUP: 1,
    }


def test_2026_plan_dates_times_and_audiences(settings: Settings) -> None:
    plan = build_plan(settings)

    def at(month: int, day: int, hour: int, minute: int) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=TZ)

    expected = {
        PushKind.RSVP_REQUEST: (Audience.MEMBER_UNITS, [at(4, 14, 9, 40)]),
        PushKind.RSVP_CHASE: (Audience.UNCONFIRMED_UNITS, [at(4, 15, 10, 10), at(4, 16, 10, 10)]),
        PushKind.CEREMONY_REMINDER: (Audience.CONFIRMED_LIAISONS, [at(4, 16, 15, 20), at(4, 17, 7, 50)]),
        PushKind.CHECKIN_OPEN: (Audience.CONFIRMED_LIAISONS, [at(4, 17, 8, 20)]),
        PushKind.WEEK_KICKOFF: (Audience.ALL_LIAISONS, [at(4, 20, 8, 40)]),
        PushKind.REPORT_NUDGE: (Audience.SILENT_UNITS_TODAY, [at(4, d, 19, 40) for d in range(20, 25)]),
        PushKind.DIGEST: (Audience.CONTACT, [*(at(4, d, 21, 10) for d in range(20, 27)), at(4, 27, 8, 20)]),
        PushKind.SUMMARY_REMINDER: (
            Audience.UNITS_WITHOUT_SUMMARY,
            [at(4, 26, 9, 10), at(4, 27, 9, 10), at(4, 28, 9, 10)],
        ),
        PushKind.FINAL_ROLLUP: (Audience.CONTACT, [at(4, 28, 17, 40)]),
    }
    for kind, (audience, times) in expected.items():
        pushes = by_kind(plan, kind)
        assert sorted(push.at for push in pushes) == times, kind
        assert {push.audience for push in pushes} == {audience}, kind


def test_plan_is_sorted_aware_off_the_half_hour_and_keyed_uniquely(settings: Settings) -> None:
    plan = build_plan(settings)
    assert [push.at for push in plan] == sorted(push.at for push in plan)
    for push in plan:
        assert push.at.utcoffset() == timedelta(hours=8)
        assert push.at.minute not in (0, 30), push.key
        assert push.expires_at > push.at, push.key
        assert push.key == f"{push.kind}:{push.at.date().isoformat()}"
    assert len({push.key for push in plan}) == len(plan)


def test_expiry_follows_what_each_push_is_for(settings: Settings) -> None:
    plan = build_plan(settings)
    ceremony = settings.ceremony.at
    for kind in (PushKind.CEREMONY_REMINDER, PushKind.CHECKIN_OPEN):
        assert {push.expires_at for push in by_kind(plan, kind)} == {ceremony}
    for nudge in by_kind(plan, PushKind.REPORT_NUDGE):
        assert nudge.expires_at == datetime.combine(nudge.at.date() + timedelta(days=1), time(0), tzinfo=TZ)
    deadline = datetime(2026, 4, 28, 17, 30, tzinfo=TZ)
    assert by_kind(plan, PushKind.SUMMARY_REMINDER)[-1].expires_at == deadline
    assert by_kind(plan, PushKind.WEEK_KICKOFF)[0].expires_at == datetime(2026, 4, 27, tzinfo=TZ)


def test_rest_day_nudges_cover_the_whole_week(settings: Settings) -> None:
    plan = build_plan(with_changes(settings, nudge_on_rest_days=True))
    assert dates(by_kind(plan, PushKind.REPORT_NUDGE)) == [date(2026, 4, d) for d in range(20, 27)]


def test_nudges_follow_make_up_days_and_holidays(settings: Settings) -> None:
    week = {"week_start": date(2026, 5, 3), "week_end": date(2026, 5, 9)}
    plan = build_plan(with_changes(settings, campaign=week))
    # 05-03..05 are Labour Day holidays; Saturday 05-09 is a 调休 working day.
    assert dates(by_kind(plan, PushKind.REPORT_NUDGE)) == [date(2026, 5, d) for d in (6, 7, 8, 9)]
    assert dates(by_kind(plan, PushKind.SUMMARY_REMINDER)) == [date(2026, 5, 9), date(2026, 5, 11), date(2026, 5, 12)]


def test_texts_come_from_config(settings: Settings) -> None:
    plan = build_plan(settings)
    for push in by_kind(plan, PushKind.CEREMONY_REMINDER) + by_kind(plan, PushKind.CHECKIN_OPEN):
        assert "赵艳杰" in push.text
        assert "2230059" in push.text
        assert settings.ceremony.place in push.text
        assert "9:00" in push.text
    assert "明天" in by_kind(plan, PushKind.CEREMONY_REMINDER)[0].text
    assert "今天9:00" in by_kind(plan, PushKind.CEREMONY_REMINDER)[1].text
    kickoff = by_kind(plan, PushKind.WEEK_KICKOFF)[0].text
    assert settings.campaign.theme in kickoff
    assert "例如" in kickoff
    assert settings.contact.email in kickoff
    for reminder in by_kind(plan, PushKind.SUMMARY_REMINDER):
        assert settings.contact.email in reminder.text
        assert "17:30" in reminder.text
    assert "4月28日" in by_kind(plan, PushKind.SUMMARY_REMINDER)[0].text
    assert by_kind(plan, PushKind.DIGEST)[0].text.startswith("今日汇总")


def test_lead_days_are_working_days(settings: Settings) -> None:
    monday = datetime(2026, 4, 20, 9, 0, tzinfo=TZ)
    moved = settings.model_copy(update={"ceremony": settings.ceremony.model_copy(update={"at": monday})})
    plan = build_plan(moved)
    assert dates(by_kind(plan, PushKind.RSVP_REQUEST)) == [date(2026, 4, 15)]
    assert dates(by_kind(plan, PushKind.RSVP_CHASE)) == [date(2026, 4, 16), date(2026, 4, 17)]
    friday_reminder = by_kind(plan, PushKind.CEREMONY_REMINDER)[0]
    assert friday_reminder.at.date() == date(2026, 4, 17)
    assert "明天" not in friday_reminder.text
    assert "4月20日（周一）9:00" in friday_reminder.text


def test_one_day_deadline_merges_reminders(settings: Settings) -> None:
    plan = build_plan(with_changes(settings, campaign={"summary_due_workdays": 1}))
    assert dates(by_kind(plan, PushKind.SUMMARY_REMINDER)) == [date(2026, 4, 26), date(2026, 4, 27)]
    assert by_kind(plan, PushKind.FINAL_ROLLUP)[0].at == datetime(2026, 4, 27, 17, 40, tzinfo=TZ)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("rsvp_request_time = 09:40:00", "rsvp_request_time = 09:30:00", "pushes.rsvp_request_time"),
        ("report_nudge_time = 19:40:00", "report_nudge_time = 20:00:00", "pushes.report_nudge_time"),
        (
            "{ workdays_before = 0, at = 07:50:00 }",
            "{ workdays_before = 0, at = 08:00:00 }",
            "pushes.ceremony_reminders.1.at",
        ),
    ],
)
def test_config_rejects_push_times_on_the_half_hour(tmp_path: Path, old: str, new: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(example_with(tmp_path, old, new), env={})
    assert key in str(caught.value)
    assert ":00 and :30" in str(caught.value)


def test_push_config_checks_rsvp_order() -> None:
    with pytest.raises(ValidationError, match="rsvp_chase_workdays_before"):
        PushConfig(rsvp_request_workdays_before=2, rsvp_chase_workdays_before=(2, 1))
    with pytest.raises(ValidationError, match="same day"):
        PushConfig(ceremony_reminders=(LeadTime(workdays_before=1, at=time(8, 10)),) * 2)


def test_same_day_reminder_after_the_ceremony_is_a_plan_error(settings: Settings) -> None:
    late = (LeadTime(workdays_before=0, at=time(9, 10)),)
    with pytest.raises(PlanError, match=r"pushes\.ceremony_reminders\.0\.at"):
        build_plan(with_changes(settings, ceremony_reminders=late))
    with pytest.raises(PlanError, match=r"pushes\.checkin_open_time"):
        build_plan(with_changes(settings, checkin_open_time=time(9, 20)))


def test_rollup_before_the_deadline_is_a_plan_error(settings: Settings) -> None:
    with pytest.raises(PlanError, match=r"pushes\.final_rollup_time"):
        build_plan(with_changes(settings, final_rollup_time=time(17, 20)))
    with pytest.raises(PlanError, match=r"pushes\.summary_reminder_time"):
        build_plan(with_changes(settings, summary_reminder_time=time(17, 50)))


def test_cli_plan_prints_sorted_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--config", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "启动仪式" in out  # ensure_ascii=False
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 24
    plain = {"at", "kind", "audience", "msgtype", "text", "key", "expires_at"}
    assert all(set(row) in (plain, plain | {"card_type", "buttons"}) for row in rows)
    assert {row["msgtype"] for row in rows if row["kind"] in ("rsvp_request", "rsvp_chase", "summary_reminder")} == {
        "template_card"
    }
    assert all(row["at"].endswith("+08:00") and row["expires_at"].endswith("+08:00") for row in rows)
    moments = [datetime.fromisoformat(row["at"]) for row in rows]
    assert moments == sorted(moments)
    assert rows[0]["at"] == "2026-04-14T09:40:00+08:00"
    assert rows[-1]["kind"] == "final_rollup"


def test_cli_plan_reports_unknown_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = example_with(
        tmp_path, "week_start = 2026-04-20\nweek_end = 2026-04-26", "week_start = 2031-04-21\nweek_end = 2031-04-27"
    )
    assert main(["--config", str(path), "plan"]) == 2
    assert "no data for 2031" in capsys.readouterr().err
