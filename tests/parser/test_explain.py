"""`weekbot parse --explain`: the rule named for each field is the one that decided it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.config import Settings
from handlers.parsing import COUNT_FIELDS, Reading, parse_report
from handlers.parsing.directory import UnitDirectory
from handlers.parsing.trace import Trace
from scheduler.clock import TZ
from tests.parser import make_corpus

NOW = dt.datetime(2026, 4, 22, 18, 0, tzinfo=TZ)  # a Wednesday
BOUND = "双塔区知识产权局"
EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def explain(units: UnitDirectory, text: str, bound: str | None = BOUND) -> tuple[Reading, Trace]:
    trace = Trace()
    return parse_report(text, NOW, bound, units, trace=trace), trace


def test_each_field_of_a_report_names_its_rule(units: UnitDirectory) -> None:
    reading, trace = explain(
        units, "4月21日上午，我局在双塔区新华路步行街开展集中宣传活动，发放宣传手册600余册，接受群众咨询80余人次。"
    )
    assert trace.intent == {"rule": "activity word", "intent": "report"}
    assert trace.unit == {"rule": "the sender's binding: no other unit is the subject", "source": "binding"}
    (activity,) = reading.activities
    fields = trace.of_activity(activity)
    assert fields["date"] == {
        "rule": "the first date written in the activity",
        "text": "4月21日",
        "finder": "month_day",
    }
    assert fields["type"] == {"rule": "the activity's keyword", "text": "集中宣传", "type": "publicity", "strong": True}
    assert fields["location"] == {"rule": "在/于 … before an activity verb (_AT)", "text": "双塔区新华路步行街"}
    assert fields["materials"] == [{"number": "600余册", "rule": "deciding word (materials)", "text": "手册"}]
    assert fields["consultations"] == [{"number": "80余人次", "rule": "deciding word (consultations)", "text": "咨询"}]
    assert set(fields) == {"date", "type", "location", "materials", "consultations"}


def test_a_unit_named_by_its_alias_and_a_relative_day(units: UnitDirectory) -> None:
    reading, trace = explain(units, "市中院今天在人民广场开展知识产权普法宣传，发放资料300份", bound=None)
    assert reading.unit == "市中级人民法院"
    assert trace.unit == {
        "rule": "subject named in the text",
        "text": "市中院",
        "source": "text",
        "at": 0,
        "alias": True,
    }
    fields = trace.of_activity(reading.activities[0])
    assert fields["date"]["finder"] == "relative"
    assert fields["date"]["text"] == "今天"


def test_a_header_names_the_unit(units: UnitDirectory) -> None:
    _, trace = explain(units, "【市发展改革委】4月21日在人民广场开展宣传，发放资料300份", bound=None)
    assert trace.unit is not None
    assert (trace.unit["rule"], trace.unit["text"], trace.unit["alias"]) == ("【】 header", "市发展改革委", False)


def test_no_date_is_the_message_day_and_a_weekday_its_finder(units: UnitDirectory) -> None:
    reading, trace = explain(units, "在龙城区人民广场开展宣传，发放资料200份")
    assert trace.of_activity(reading.activities[0])["date"] == {"rule": "message day"}
    reading, trace = explain(units, "周一在利州社区开展宣传，发放资料200份")
    assert trace.of_activity(reading.activities[0])["date"]["finder"] == "weekday"


def test_a_stated_total_stands_and_the_parts_are_left_out(units: UnitDirectory) -> None:
    reading, trace = explain(units, "今天在人民广场宣传，上午发放资料200份，下午发放资料300份，共计发放资料500份")
    assert reading.activities[0].materials == 500
    explained = trace.of_activity(reading.activities[0])["materials"]
    assert [(e["number"], e.get("total"), e.get("left_out")) for e in explained] == [
        ("200份", None, "a total is stated"),
        ("300份", None, "a total is stated"),
        ("500份", True, None),
    ]


@pytest.mark.parametrize(
    ("text", "intent", "rule"),
    [
        ("总结已发送至邮箱，请查收", "summary", "summary with a sending word (_SUMMARY, _SENT)"),
        ("刚才人数写错了，应该是50人", "other", "correction of a message sent (_CORRECTION)"),
        ("【转发】关于开展知识产权宣传周活动的通知", "other", "forwarded notice or a call to all units (_FORWARDED)"),
        ("参会 王磊 13912345678", "rsvp", "who will attend the ceremony (_is_rsvp)"),
        ("怎么报送？", "other", "question (_QUESTION)"),
    ],
)
def test_the_intent_names_the_branch_that_decided(units: UnitDirectory, text: str, intent: str, rule: str) -> None:
    reading, trace = explain(units, text)
    assert reading.intent == intent
    assert trace.intent == {"rule": rule, "intent": intent}


def test_weekbot_parse_explain_prints_an_explain_key_beside_the_reading(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["parse", "--config", str(EXAMPLE), "--now", NOW.isoformat(), "--unit", BOUND, "--explain"]
    assert main([*argv, "昨天在龙城区人民广场发了三百多份资料"]) == 0
    printed = capsys.readouterr().out
    answer: dict[str, Any] = json.loads(printed)
    assert answer["explain"]["intent"]["intent"] == "report"
    (activity,) = answer["activities"]
    assert activity["materials"] == 300
    assert activity["explain"]["date"]["finder"] == "relative"
    assert activity["explain"]["materials"][0]["number"] == "三百多份"
    assert "\n" in printed  # indented, for a person
    assert main([*argv, "--batch"]) == 2
    assert "--explain reads one TEXT" in capsys.readouterr().err


def test_a_trace_changes_no_reading_and_explains_every_field_of_the_corpus(units: UnitDirectory) -> None:
    for case in json.loads(make_corpus.CORPUS.read_text(encoding="utf-8")):
        now = dt.datetime.fromisoformat(case["now"])
        trace = Trace()
        traced = parse_report(case["text"], now, case["bound_unit"], units, trace=trace)
        assert traced == parse_report(case["text"], now, case["bound_unit"], units), case["id"]
        assert trace.intent is not None and trace.intent["intent"] == traced.intent, case["id"]
        if traced.intent != "report":
            continue
        assert trace.unit is not None, case["id"]
        for activity in traced.activities:
            fields = trace.of_activity(activity)
            expected = {"date", "type"} | {name for name in COUNT_FIELDS if getattr(activity, name) is not None}
            assert expected <= set(fields), case["id"]
            assert ("location" in fields) == (activity.location is not None), case["id"]
            assert '"rule": "?"' not in json.dumps(fields, ensure_ascii=False), case["id"]
