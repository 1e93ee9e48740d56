"""What in a report is not an activity done: plans, recaps, a write-up's framing; and the replies
that are no report (corrections, photo remarks)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from handlers.parsing import Reading, parse_report
from handlers.parsing.dates import find_dates
from handlers.parsing.directory import UnitDirectory
from handlers.parsing.framing import plan_spans
from scheduler.clock import TZ

NOW = dt.datetime(2026, 4, 24, 20, 0, tzinfo=TZ)  # a Friday
TODAY = NOW.date()


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def read(units: UnitDirectory, text: str, bound: str | None = "喀左县知识产权局") -> Reading:
    return parse_report(text, NOW, bound, units)


def _planned(text: str) -> list[str]:
    return [text[start:end] for start, end in plan_spans(text, find_dates(text, TODAY))]


def test_plan_clauses_and_their_continuation_are_found() -> None:
    assert _planned("上午走访了2家企业，下午准备去开发区，再走3家") == ["下午准备去开发区", "再走3家"]
    assert _planned("明天计划走访企业，今天发资料300份") == ["明天计划走访企业"]
    assert _planned("今天在广场宣传，准备了资料500份") == []


@pytest.mark.parametrize(
    ("text", "enterprises"),
    [
        ("昨天走访企业3家，今天下午还要去2家，完事一起报吧", 3),
        ("今天去了两家企业：朝阳浪马轮胎、朝阳重型机器，后续还将走访5家", 2),
    ],
)
def test_counts_of_a_plan_are_not_counted(units: UnitDirectory, text: str, enterprises: int) -> None:
    [activity] = read(units, text).activities
    assert activity.enterprises == enterprises


def test_a_future_day_beside_work_done_is_no_activity(units: UnitDirectory) -> None:
    reading = read(units, "今天办了培训80人，明天去朝阳县走访企业，后天去北票")
    assert [(a.type, a.date, a.participants) for a in reading.activities] == [("training", TODAY, 80)]
    assert any("计划" in note for note in reading.notes)


def test_a_write_up_keeps_its_items_only(units: UnitDirectory) -> None:
    text = (
        "喀左县知识产权局宣传周工作开展情况\n宣传周期间，我局先后开展了集中宣传、企业走访等活动。\n"
        "（一）4月20日，在利州广场开展集中宣传，发放宣传资料1200份。\n"
        "（二）4月22日，走访紫砂企业5家。\n"
        "据统计，宣传周期间共发放资料1200份，走访企业5家。\n"
        "三、下一步打算\n我局将持续开展知识产权宣传，推动宣传常态化。"
    )
    reading = read(units, text, None)
    assert [(a.type, a.date.day, a.materials, a.enterprises) for a in reading.activities] == [
        ("publicity", 20, 1200, None),
        ("visit", 22, None, 5),
    ]


def test_an_umbrella_span_over_its_items_is_no_activity(units: UnitDirectory) -> None:
    text = (
        "我局于4月20日至4月24日开展了系列宣传活动。一是4月20日在集市设立宣传点，发放资料500份；二是4月22日走访企业6家"
    )
    assert [a.type for a in read(units, text).activities] == ["publicity", "visit"]


def test_a_span_introducing_the_first_item_gives_way_to_its_day(units: UnitDirectory) -> None:
    text = (
        "4月20日至24日宣传周期间，我局开展了以下活动：\n（一）4月21日，在利州广场举办商标展示，参观群众300人；\n"
        "（二）4月23日，走访企业4家。\n共计参观300人，走访企业4家。"
    )
    assert [(a.type, a.date.day, a.participants, a.enterprises) for a in read(units, text).activities] == [
        ("exhibition", 21, 300, None),
        ("visit", 23, None, 4),
    ]


def test_item_titles_and_sections_frame_the_work(units: UnitDirectory) -> None:
    titled = (
        "一、普法进社区。4月21日，在利州广场开展法律咨询，解答咨询85人次。\n"
        "二、律师服务进企业。4月23日，组织律师走访辖区6家企业，开展法律体检。\n三、线上普法。4月20日在官网发布问答10篇。"
    )
    assert [(a.type, a.date.day) for a in read(units, titled).activities] == [
        ("publicity", 21),
        ("visit", 23),
        ("media", 20),
    ]
    sectioned = (
        "4月21日至22日，我局深入企业开展调研走访。\n一、基本情况。两天里先后走访企业共6家。\n二、下一步工作。继续走访。"
    )
    activities = read(units, sectioned).activities
    assert [(a.type, a.date.day, a.end_date.day, a.enterprises) for a in activities] == [("visit", 21, 22, 6)]


def test_an_item_after_a_span_gets_one_day(units: UnitDirectory) -> None:
    text = "1.4月21日至4月22日，走访科技型企业8家；\n2.在公众号推送文章3篇。"
    assert [(a.type, a.date.day, a.end_date.day) for a in read(units, text).activities] == [
        ("visit", 21, 22),
        ("media", 21, 21),
    ]


def test_a_plan_alone_on_a_bare_weekday_is_the_coming_day(units: UnitDirectory) -> None:
    saturday = dt.datetime(2026, 4, 25, 15, 0, tzinfo=TZ)
    [activity] = parse_report("周日在利州广场搞展示，现在正在布展", saturday, None, units).activities
    assert activity.date == dt.date(2026, 4, 26)


@pytest.mark.parametrize(
    "text",
    [
        "刚才人数写错了，应该是50人",
        "更正：上一条资料数是800份，不是80份",
        "撤回上一条，重复报送了",
        "照片刚才发了三张，就是今天宣传的",
    ],
)
def test_corrections_and_photo_remarks_are_no_report(units: UnitDirectory, text: str) -> None:
    assert read(units, text).intent == "other"


def test_a_summary_titled_write_up_with_dated_items_is_a_report(units: UnitDirectory) -> None:
    text = "宣传周活动总结（阶段）\n一、4月20日，在柳城镇大集开展宣传，发放宣传资料900份；\n二、4月22日，走访企业4家。"
    assert read(units, text).intent == "report"


def test_sending_someone_on_the_day_or_after_is_the_ceremony_attended(units: UnitDirectory) -> None:
    ceremony_day = dt.datetime(2026, 4, 17, 15, 0, tzinfo=TZ)
    reading = parse_report("【宣传部】4月17日，我部派员参加全市知识产权宣传周启动仪式", ceremony_day, None, units)
    assert (reading.intent, reading.unit) == ("report", "市委宣传部")
    assert [a.type for a in reading.activities] == ["ceremony"]


def test_a_name_before_an_attendance_word_is_a_reply(units: UnitDirectory) -> None:
    reading = read(units, "检察院：第四检察部 王静 参会", None)
    assert (reading.intent, [a.name for a in reading.attendees]) == ("rsvp", ["王静"])


def test_a_header_may_drop_the_office_ending(units: UnitDirectory) -> None:
    assert read(units, "【公安】4月22日，在高铁站开展宣传，发放资料600份", None).unit == "市公安局"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("喀左 今天 利州广场 资料600 咨询80", "利州广场"),
        ("发折页1200份，医院门诊大厅", "医院门诊大厅"),
        ("龙城区联合乡今天宣传，发放资料420份", "龙城区联合乡"),
        ("今天到西大营子镇，指导2家合作社使用地理标志", "西大营子镇"),
        ("市卫健委关于知识产权宣传周活动情况：4月21日在中心医院讲座，参加人员120人", "中心医院"),
    ],
)
def test_places_terse_notes_and_write_ups_name(units: UnitDirectory, text: str, place: str) -> None:
    assert [a.location for a in read(units, text).activities] == [place]


def test_reads_and_photos_are_no_counts(units: UnitDirectory) -> None:
    [activity] = read(units, "朝阳科普公众号推文3篇 累计阅读1.5万次").activities
    assert (activity.articles, activity.materials) == (3, None)


def test_each_counts_for_every_item_listed(units: UnitDirectory) -> None:
    text = "4月23日，“北票发布”公众号、北票电视台分别刊播我局宣传周活动报道各1篇（条）"
    assert [a.articles for a in read(units, text).activities] == [2]


def test_a_daily_rate_counts_every_day_of_the_span(units: UnitDirectory) -> None:
    text = "4月20日至4月22日，在公众号连续3天推送知识产权小课堂，每天1篇"
    assert [(a.date.day, a.end_date.day, a.articles) for a in read(units, text).activities] == [(20, 22, 3)]


CEREMONY_DAY = dt.date(2026, 4, 17)


@pytest.mark.parametrize(
    ("sent", "ceremony_day", "intent", "dates"),
    [
        (dt.datetime(2026, 4, 20, 9, 0, tzinfo=TZ), CEREMONY_DAY, "report", [CEREMONY_DAY]),
        (dt.datetime(2026, 4, 17, 11, 30, tzinfo=TZ), CEREMONY_DAY, "report", [CEREMONY_DAY]),
        (dt.datetime(2026, 4, 16, 10, 0, tzinfo=TZ), CEREMONY_DAY, "rsvp", []),
        (dt.datetime(2026, 4, 20, 9, 0, tzinfo=TZ), None, "rsvp", []),
    ],
)
def test_an_undated_ceremony_message_reads_by_the_ceremony_day(
    units: UnitDirectory, sent: dt.datetime, ceremony_day: dt.date | None, intent: str, dates: list[dt.date]
) -> None:
    reading = parse_report("局长出席启动仪式", sent, "市科技局", units, ceremony_day=ceremony_day)
    assert reading.intent == intent
    assert [a.date for a in reading.activities] == dates


def test_a_speech_given_is_the_ceremony_attended_and_one_ahead_a_reply(units: UnitDirectory) -> None:
    sent = dt.datetime(2026, 4, 17, 11, 30, tzinfo=TZ)
    assert parse_report("局长出席启动仪式并讲话", sent, "市科技局", units).intent == "report"
    ahead = dt.datetime(2026, 4, 15, 10, 0, tzinfo=TZ)
    assert parse_report("局长将出席启动仪式并致辞", ahead, "市科技局", units).intent == "rsvp"
    assert parse_report("启动仪式我们来两个人，王军和李华", ahead, "市中级人民法院", units).intent == "rsvp"


def test_a_day_moved_to_is_the_activitys(units: UnitDirectory) -> None:
    reading = parse_report("今天下雨，原定的广场宣传改到明天了", NOW, "龙城区知识产权局", units)
    assert [(a.type, a.date) for a in reading.activities] == [("publicity", TODAY + dt.timedelta(days=1))]


def test_summary_figures_are_a_report_and_an_invitation_no_promise(units: UnitDirectory) -> None:
    figures = read(units, "龙城区局宣传周总结数据：集中宣传3场，发放资料2000份，咨询200人次；走访企业10家", None)
    assert figures.intent == "report"
    assert read(units, "明天计划在朝阳大街开展集中宣传，届时欢迎指导").intent == "report"
    assert read(units, "明天计划在朝阳大街开展集中宣传，届时再报").intent == "other"


@pytest.mark.parametrize(
    ("text", "types"),
    [
        (
            "今天两场活动：上午在县实验中学举办讲座，学生三百人参加；下午在柳城街道集市设点宣传",
            ["training", "publicity"],
        ),
        ("4月22日组织开庭旁听，企业代表30人；4月23日在服务中心开展法律咨询，解答咨询45人次", ["publicity"] * 2),
        ("4月22日举办专利实务培训，60人参加；期间在公众号推送宣传文章3篇", ["training", "media"]),
    ],
)
def test_lead_ins_new_days_and_work_done_meanwhile(units: UnitDirectory, text: str, types: list[str]) -> None:
    assert [a.type for a in read(units, text).activities] == types
