"""A forwarded 公众号 article or 简报: the activities and dates come from its body, not from its
masthead, issue line, headline, publish line, bylines or footer; plans and background are left out."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from handlers.parsing import Reading, parse_report
from handlers.parsing.articles import article_spans
from handlers.parsing.directory import UnitDirectory
from scheduler.clock import TZ

NOW = dt.datetime(2026, 4, 26, 21, 0, tzinfo=TZ)
BOUND = "建平县知识产权局"


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def read(units: UnitDirectory, text: str) -> Reading:
    return parse_report(text, NOW, BOUND, units)


def _days(reading: Reading) -> list[dt.date]:
    return [a.date for a in reading.activities]


BODY = "4月23日上午，我局在建平县人民广场开展商标知识宣传，发放资料350份，解答咨询42人次。"


@pytest.mark.parametrize(
    "top",
    [
        "工作动态\n第12期\n建平县市场监督管理局办公室编      2026年4月26日\n\n建平县局商标宣传进广场",
        "信息快报\n（2026年第3期）\n建平县市场监督管理局办公室   2026.4.26\n建平：商标知识送到群众身边",
        "商标宣传走进人民广场\n\n原创 建平市场监管 建平市场监管 2026年04月26日 10:12 辽宁",
        "群众家门口学商标\n建平发布  2026-04-26 18:30",
        "商标知识进广场\n\n《建平报》2026年4月26日 第3版",
    ],
)
def test_the_lines_above_the_body_are_no_activity_and_their_date_is_none(units: UnitDirectory, top: str) -> None:
    reading = read(units, f"{top}\n\n{BODY}\n\n编辑：刘洋\n审核：张伟")
    assert _days(reading) == [dt.date(2026, 4, 23)]
    (activity,) = reading.activities
    assert (activity.type, activity.location, activity.materials, activity.consultations) == (
        "publicity",
        "建平县人民广场",
        350,
        42,
    )


@pytest.mark.parametrize(
    "byline",
    ["记者 王晓燕", "通讯员：孙健 李娜", "文/图 赵磊", "（县知识产权局 供稿）", "（通讯员 周敏 摄）"],
)
def test_bylines_are_apparatus(units: UnitDirectory, byline: str) -> None:
    reading = read(units, f"商标宣传进广场\n\n{byline}\n\n{BODY}")
    assert _days(reading) == [dt.date(2026, 4, 23)]


@pytest.mark.parametrize("lead", ["本报讯（记者 王晓燕）", "建平县融媒体中心讯（通讯员 孙健）"])
def test_a_news_lead_byline_opens_the_body(units: UnitDirectory, lead: str) -> None:
    reading = read(units, f"商标宣传进广场\n\n{lead}{BODY}")
    assert _days(reading) == [dt.date(2026, 4, 23)]
    assert reading.activities[0].materials == 350


@pytest.mark.parametrize(
    "footer",
    ["报：市知识产权局\n送：县政府办\n发：各股室", "抄送：县委宣传部、县政府办\n（共印15份）"],
)
def test_a_distribution_footer_is_apparatus(units: UnitDirectory, footer: str) -> None:
    reading = read(units, f"简报\n第2期\n\n商标宣传进广场\n\n{BODY}\n\n{footer}")
    assert _days(reading) == [dt.date(2026, 4, 23)]
    assert len(reading.activities) == 1


def test_a_report_opening_with_bao_is_no_footer(units: UnitDirectory) -> None:
    reading = read(units, "报：建平局4.24在叶柏寿镇开展地理标志宣传，发资料260，咨询31")
    assert _days(reading) == [dt.date(2026, 4, 24)]
    assert reading.activities[0].materials == 260


def test_a_plain_multiline_report_has_no_article_apparatus() -> None:
    assert article_spans("建平县知识产权局\n4月23日\n在人民广场宣传，发资料350份") == []
    assert article_spans("2026年4月23日\n在人民广场开展宣传，发放资料350份。") == []


@pytest.mark.parametrize(
    "aside",
    [
        "据悉，宣传周期间（4月20日至26日），县局将联合各乡镇在集市开展巡回宣传。",
        "据了解，本次宣传分为展板展示、现场咨询和有奖问答三个环节。",
        "下一步，我局拟于5月中旬举办商标品牌培育专题培训。",
        "目前，县局正在筹备地理标志产品展销会。",
        "下一步，县局将联合县工商联走访重点企业。",
    ],
)
def test_background_and_plans_in_an_article_are_no_activity(units: UnitDirectory, aside: str) -> None:
    reading = read(units, f"商标宣传进广场\n建平发布  2026-04-26 18:30\n\n{BODY}\n\n{aside}")
    assert _days(reading) == [dt.date(2026, 4, 23)]
    assert len(reading.activities) == 1


@pytest.mark.parametrize("subject", ["我局", "县局", "我们", ""])
def test_a_week_total_after_the_items_is_a_recap(units: UnitDirectory, subject: str) -> None:
    text = (
        "建平县局宣传周工作纪实\n（第4期）\n\n"
        "4月21日，在叶柏寿镇大集设点宣传，发放资料400份，解答咨询50人次。\n\n"
        "4月23日，在县政务服务中心设咨询台，发放资料300份，解答咨询30人次。\n\n"
        f"宣传周期间，{subject}共发放宣传资料700份，解答咨询80人次。"
    )
    reading = read(units, text)
    assert _days(reading) == [dt.date(2026, 4, 21), dt.date(2026, 4, 23)]
    assert sum(a.materials or 0 for a in reading.activities) == 700


def test_the_bound_sender_reports_whatever_lead_unit_the_article_names(units: UnitDirectory) -> None:
    text = (
        "商标培训助力小微企业\n建平发布  2026-04-26 18:30\n\n"
        "4月24日，由市知识产权局指导、建平县知识产权局承办的商标培训在县职教中心举行，40名个体户参加。"
    )
    reading = read(units, text)
    assert reading.unit == BOUND
    assert _days(reading) == [dt.date(2026, 4, 24)]


def test_an_article_is_read_in_linear_time() -> None:
    paragraph = "4月23日，我局在人民广场开展宣传，发放资料350份。\n"
    long = "简报\n第1期\n" + paragraph * 2000
    spans = article_spans(long)
    assert spans[:2] == [(0, 2), (3, 6)]
