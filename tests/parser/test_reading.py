"""parse_report's reading beyond the scored fields: notes, flags, attendees, plans, the batch
contract."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.config import Settings
from handlers.parsing import ACTIVITY_TYPES, COUNT_FIELDS, INTENTS, Attendee, Reading, parse_report
from handlers.parsing.batch import parse_batch, parse_one
from handlers.parsing.directory import UnitDirectory
from scheduler.clock import TZ, ManualClock

NOW = dt.datetime(2026, 4, 22, 18, 0, tzinfo=TZ)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def read(units: UnitDirectory, text: str, bound: str | None = "双塔区知识产权局") -> Reading:
    return parse_report(text, NOW, bound, units)


def test_approximate_counts_are_flagged(units: UnitDirectory) -> None:
    [activity] = read(units, "在广场开展宣传，发放资料2000余份，参与群众约1000人，咨询30人次").activities
    assert (activity.materials, activity.participants, activity.consultations) == (2000, 1000, 30)
    assert activity.approximate == {"materials", "participants"}


def test_no_date_means_the_message_day_with_a_note(units: UnitDirectory) -> None:
    reading = read(units, "在广场开展宣传，发放资料300份")
    [activity] = reading.activities
    assert (activity.date, activity.date_stated) == (TODAY, False)
    assert any("4月22日" in note and "日期" in note for note in reading.notes)


def test_a_time_of_day_states_the_message_day(units: UnitDirectory) -> None:
    [activity] = read(units, "上午在广场开展宣传").activities
    assert (activity.date, activity.date_stated) == (TODAY, True)


def test_a_future_date_is_kept_and_noted(units: UnitDirectory) -> None:
    reading = read(units, "4月25日在广场开展宣传")
    assert [a.date for a in reading.activities] == [dt.date(2026, 4, 25)]
    assert any("4月25日" in note and "确认" in note for note in reading.notes)


@pytest.mark.parametrize("weekday", "一二三四五六日")
def test_a_weekday_name_is_never_in_the_future(units: UnitDirectory, weekday: str) -> None:
    [activity] = read(units, f"周{weekday}在广场开展宣传").activities
    assert TODAY - dt.timedelta(days=6) <= activity.date <= TODAY


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("4月20日至22日在市文化宫举办成果展，参观群众1500人次", 20, 22),
        ("4月21日到23日在县政务大厅摆了咨询台，参观群众1500人次", 21, 23),
        ("19号至21号在步行街设点宣传，参观群众1500人次", 19, 21),
        ("4月20日—22日全市各乡镇张贴海报，参观群众1500人次", 20, 22),
        ("周一到周三在广场搞宣传，参观群众1500人次", 20, 22),
        ("4.20-4.22在广场搞宣传，参观群众1500人次", 20, 22),
        ("4月20日起连续3天在广场搞宣传，参观群众1500人次", 20, 22),
        ("4月20日在市文化宫举办为期三天的成果展，参观群众1500人次", 20, 22),
    ],
)
def test_a_range_is_one_activity_with_its_counts_once(units: UnitDirectory, text: str, first: int, last: int) -> None:
    [activity] = read(units, text).activities
    assert (activity.date, activity.end_date) == (dt.date(2026, 4, first), dt.date(2026, 4, last))
    assert activity.participants == 1500


def test_a_daily_rate_over_a_range_counts_every_day(units: UnitDirectory) -> None:
    [activity] = read(units, "4月20日至22日在万达广场设立咨询台，每天发放资料300份").activities
    assert (activity.date.day, activity.end_date.day, activity.materials) == (20, 22, 900)


def test_a_list_of_days_stays_one_activity_a_day(units: UnitDirectory) -> None:
    reading = read(units, "21、22号各办了一场讲座，参加80人")
    assert [(a.date.day, a.end_date.day) for a in reading.activities] == [(21, 21), (22, 22)]
    assert [a.participants for a in reading.activities] == [80, None]


def test_a_one_day_activity_ends_the_day_it_starts(units: UnitDirectory) -> None:
    [activity] = read(units, "4月21日在广场开展宣传").activities
    assert activity.end_date == activity.date


def test_a_plan_beside_done_work_is_left_out(units: UnitDirectory) -> None:
    reading = read(units, "今天走访企业3家；明天计划在社区开展宣传")
    assert [(a.type, a.enterprises) for a in reading.activities] == [("visit", 3)]
    assert any("计划" in note for note in reading.notes)


def test_an_unknown_kind_is_other_and_noted(units: UnitDirectory) -> None:
    reading = read(units, "今天办了个活动，来了100多人")
    [activity] = reading.activities
    assert (activity.type, activity.type_stated, activity.participants) == ("other", False, 100)
    assert any("其他" in note for note in reading.notes)


def test_source_text_is_cut_from_the_original(units: UnitDirectory) -> None:
    reading = read(units, "１．４月２０日集中宣传，资料６００份；２．４月２１日走访企业２家")
    assert [a.source_text for a in reading.activities] == [
        "１．４月２０日集中宣传，资料６００份",
        "２．４月２１日走访企业２家",
    ]


@pytest.mark.parametrize(
    ("text", "materials", "participants", "enterprises"),
    [
        ("组织辖区15家企业开展专利培训，参训人员42人", None, 42, None),
        ("举办侵权商品展示活动，展示侵权样品30件，企业代表25人参观", None, 25, None),
        ("开展宣传，出动执法人员20人次，发放资料300份", 300, None, None),
        ("到2家地标企业上门指导", None, None, 2),
        ("到辽宁燕山湖发电公司、朝阳重型机器公司走访", None, None, 2),
        ("发放资料300份，其中宣传手册200份、折页100份", 300, None, None),
        ("周四走访了3家电商企业", None, None, 3),
        ("组织执法人员对辖区10家商超开展上门指导", None, None, 10),
        ("开展业务培训，培训民警45名", None, 45, None),
        ("设宣传展板，参观人数二百人左右", None, 200, None),
        ("社区宣传 资料八百份 咨询七十人次 群众四百余人", 800, 400, None),
        ("到朝阳康泰药业、辽宁华锦制药走访", None, None, 2),
        ("到朝阳县、建平县走访", None, None, None),
        ("在广场办了个地标产品展，来看的人有两千多", None, 2000, None),
    ],
)
def test_counts_go_to_the_right_field(
    units: UnitDirectory, text: str, materials: int | None, participants: int | None, enterprises: int | None
) -> None:
    [activity] = read(units, text).activities
    assert (activity.materials, activity.participants, activity.enterprises) == (materials, participants, enterprises)


def test_desks_are_no_consultations(units: UnitDirectory) -> None:
    [activity] = read(units, "设咨询台5个，发放资料两千五百份，接受咨询230人次").activities
    assert (activity.materials, activity.consultations) == (2500, 230)


@pytest.mark.parametrize(
    ("text", "attendees"),
    [
        ("参会 王磊 13900001111", [("王磊", "13900001111")]),
        ("我局参加启动仪式的是法规科张伟，电话13800002222", [("张伟", "13800002222")]),
        ("启动仪式参会：孙丽 15841234567；周杰 138 0421 1111", [("孙丽", "15841234567"), ("周杰", "13804211111")]),
        ("参会人员：办公室主任李娜，电话0421-2812345", [("李娜", "0421-2812345")]),
        ("报名参加启动仪式：张伟、欧阳娜娜", [("张伟", None), ("欧阳娜娜", None)]),
    ],
)
def test_rsvp_attendees(units: UnitDirectory, text: str, attendees: list[tuple[str, str | None]]) -> None:
    reading = read(units, text)
    assert reading.intent == "rsvp"
    assert reading.activities == ()
    assert reading.attendees == tuple(Attendee(name, phone) for name, phone in attendees)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("总结已发送至邮箱，请查收", "summary"),
        ("总结报送了", "summary"),
        ("总结什么时候交？", "other"),
        ("请问启动仪式在哪", "other"),
        ("好的，谢谢", "other"),
        ("今天上午参加了全市启动仪式", "report"),
        ("今天组织讲座一场，参加人数为45人，联系人王磊13812340000", "report"),
        ("总结今天下午能发，稍等", "other"),
        ("上周五启动仪式的照片能发我一份吗", "other"),
        ("我们局长亲自参加启动仪式", "rsvp"),
        ("24号启动仪式我们单位去两个人，张晓东和刘敏", "rsvp"),
        ("上周五的启动仪式我局王主任参加了", "report"),
    ],
)
def test_intents(units: UnitDirectory, text: str, intent: str) -> None:
    reading = read(units, text)
    assert reading.intent == intent
    assert bool(reading.activities) == (intent == "report")


@pytest.mark.parametrize(
    ("text", "types", "articles"),
    [
        ("今天参加了启动仪式，并在座谈会上作了交流发言", ["ceremony"], None),
        ("参加了启动仪式，另外下午组织干部学习了专利法", ["ceremony", "training"], None),
        ("我局组成3个工作组，深入开发区走访企业十几家", ["visit"], None),
        ("举办培训班一期，参训90人", ["training"], None),
        ("县电视台报道1次", ["media"], 1),
        ("专题节目播出1期", ["media"], 1),
        ("公众号推送文章2篇，阅读量8000余次", ["media"], 2),
        ("在日报刊发宣传周专版1期，稿件6篇", ["media"], 6),
        ("在公众号发布问答1期，在官网发布信息2条", ["media", "media"], 3),
        ("检察院今日报送：举办业务培训，参训60人", ["training"], None),
        ("在内部网站开设知识产权专栏1个", ["media"], 1),
        ("组织高新技术企业专利申报辅导，企业代表35人参加", ["training"], None),
        ("到企业上门辅导专利申请", ["visit"], None),
        ("走访企业3家，另外在局公众号发了2篇宣传稿", ["visit", "media"], 2),
        ("走访辖区重点企业5家，开展打击侵权假冒犯罪服务", ["visit"], None),
        ("走访企业5家，同时开展执法检查", ["visit", "other"], None),
    ],
)
def test_activity_kinds_and_articles(units: UnitDirectory, text: str, types: list[str], articles: int | None) -> None:
    activities = read(units, text).activities
    assert [a.type for a in activities] == types
    assert sum(a.articles or 0 for a in activities) == (articles or 0)


def test_batch_keeps_the_contract_and_survives_a_bad_line(settings: Settings) -> None:
    lines = [
        {"id": "a", "text": "今天走访企业2家", "now": "2026-04-22T18:00:00+08:00", "bound_unit": "市科技局"},
        "this is not json",
        {"id": "b", "text": "收到", "now": "2026-04-22T18:00:00+08:00", "bound_unit": None},
    ]
    feed = "".join((json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x) + "\n" for x in lines)
    out = io.StringIO()
    parse_batch(io.StringIO(feed), out, UnitDirectory(settings.units), _no_clock)
    first, bad, last = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {
        "id": "a",
        "intent": "report",
        "unit": "市科技局",
        "activities": [
            {
                "date": "2026-04-22",
                "end_date": "2026-04-22",
                "type": "visit",
                "location": None,
                "materials": None,
                "consultations": None,
                "participants": None,
                "enterprises": 2,
                "articles": None,
            }
        ],
    }
    assert set(bad) == {"id", "error"}
    assert last == {"id": "b", "intent": "other", "unit": None, "activities": []}


def test_batch_passes_the_ceremony_day_on(settings: Settings) -> None:
    feed = json.dumps(
        {"id": "c", "text": "局长出席启动仪式", "now": "2026-04-20T09:00:00+08:00", "bound_unit": "市科技局"}
    )
    out = io.StringIO()
    parse_batch(io.StringIO(feed + "\n"), out, UnitDirectory(settings.units), _no_clock, settings.ceremony.at.date())
    answer = json.loads(out.getvalue())
    assert answer["intent"] == "report"
    assert [a["date"] for a in answer["activities"]] == [settings.ceremony.at.date().isoformat()]
    assert (
        json.loads(
            parse_one(
                "局长出席启动仪式", "2026-04-20T09:00:00+08:00", "市科技局", UnitDirectory(settings.units), _no_clock
            )
        )["intent"]
        == "rsvp"
    )


def _no_clock() -> dt.datetime:
    raise AssertionError("every line says when it was written")


def test_parse_one_without_a_time_asks_the_given_clock(settings: Settings) -> None:
    clock = ManualClock(dt.datetime(2026, 4, 24, 9, 0, tzinfo=TZ))
    answer = json.loads(parse_one("昨天在广场开展宣传", None, "市商务局", UnitDirectory(settings.units), clock.now))
    assert [a["date"] for a in answer["activities"]] == ["2026-04-23"]


# Characters and words reports are made of, so random messages look enough like reports to
# reach every part of the parser.
_PIECES = (
    *"在于到今天昨前周星期礼拜本上月日号年至和、，。；：（）() 0123456789",
    *".-/万千百十余多来约近零〇一二两三四五六七八九",
    *("份", "人次", "人", "家", "篇", "条", "宣传", "走访", "培训", "展示", "推送", "参会", "总结", "启动仪式"),
    *("一是", "二是", "1.", "（一）", "①", "13900001111", "市中院", "凌源市", "喀左局", "我委", "联合"),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)))
def test_any_text_gives_a_reading(units: UnitDirectory, text: str) -> None:
    reading = parse_report(text, NOW, None, units)
    assert reading.intent in INTENTS
    assert (reading.intent == "report") == bool(reading.activities)
    for activity in reading.activities:
        assert activity.type in ACTIVITY_TYPES
        assert all(getattr(activity, name) is None or getattr(activity, name) >= 0 for name in COUNT_FIELDS)
