"""Rows pasted from a WPS/Excel table: one activity per row, the columns as its fields (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from handlers.parsing import parse_report
from handlers.parsing.blocks import read_blocks
from handlers.parsing.columns import Column, column_of
from handlers.parsing.directory import UnitDirectory
from handlers.parsing.listed import read_listed
from handlers.parsing.model import ParsedActivity
from handlers.parsing.tables import read_table
from scheduler.clock import TZ

BOUND = "双塔区知识产权局"
SENT = dt.datetime(2026, 4, 26, 18, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def read(units: UnitDirectory, text: str) -> list[ParsedActivity]:
    reading = parse_report(text, SENT, BOUND, units)
    assert reading.intent == "report"
    assert reading.unit == BOUND
    return list(reading.activities)


def row(activity: ParsedActivity) -> tuple:
    counts = {
        name: getattr(activity, name)
        for name in ("materials", "consultations", "participants", "enterprises", "articles")
        if getattr(activity, name) is not None
    }
    return (activity.date.day, activity.end_date.day, activity.type, activity.location, counts)


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        # Tabs, a title line, units in brackets in the header, an empty cell.
        (
            "双塔区宣传周活动登记表\n活动日期\t活动地点\t活动形式\t发放宣传资料（份）\t现场咨询（人次）\t参与人数（人）\n"
            "4月21日\t双塔区图书馆\t知识产权讲座\t\t12\t80\n4月23日\t朝阳大街\t设点宣传\t900\t65\t300",
            [
                (21, 21, "training", "双塔区图书馆", {"consultations": 12, "participants": 80}),
                (23, 23, "publicity", "朝阳大街", {"materials": 900, "consultations": 65, "participants": 300}),
            ],
        ),
        # 序号 column and a 合计 row whose numbers are not added again.
        (
            "序号\t时间\t地点\t内容\t资料\t咨询\n1\t4.20\t北大街菜市场\t集中宣传\t500\t40\n"
            "2\t4.22\t凤凰社区\t入户宣传\t250\t10\n合计\t\t\t\t750\t50",
            [
                (20, 20, "publicity", "北大街菜市场", {"materials": 500, "consultations": 40}),
                (22, 22, "publicity", "凤凰社区", {"materials": 250, "consultations": 10}),
            ],
        ),
        # Space-aligned columns, a range in the date cell: one activity over its days.
        (
            "日期          地点              活动内容            参与人数\n"
            "4月20日-24日  区文化馆          专利成果展览        1500\n"
            "4月25日       区职教中心        商标知识培训        90",
            [
                (20, 24, "exhibition", "区文化馆", {"participants": 1500}),
                (25, 25, "training", "区职教中心", {"participants": 90}),
            ],
        ),
        # A blank date cell is a merged cell: it inherits the date above.
        (
            "日期\t地点\t活动内容\t资料（份）\n4月22日\t人民公园\t集中宣传\t300\n\t长宝社区\t入户宣传\t120",
            [
                (22, 22, "publicity", "人民公园", {"materials": 300}),
                (22, 22, "publicity", "长宝社区", {"materials": 120}),
            ],
        ),
        # Remark lines under the table are no activities and carry no dates.
        (
            "时间\t地点\t活动\t听众人数\n4.24\t区委党校\t知识产权专题讲座\t65\n"
            "备注：数据截至4月26日\n填报人：李娜 填报日期：4月26日",
            [(24, 24, "training", "区委党校", {"participants": 65})],
        ),
        # Which count a bare number is comes from its column word: 篇数, 企业(家), 咨询人次.
        (
            "日期\t平台\t内容\t稿件（篇）\n4月21日\t区融媒体中心\t宣传周专题报道\t2\n4月23日\t双塔发布公众号\t推送典型案例\t3",
            [
                (21, 21, "media", "区融媒体中心", {"articles": 2}),
                (23, 23, "media", "双塔发布公众号", {"articles": 3}),
            ],
        ),
        (
            "日期\t活动内容\t走访企业（家）\t服务人次\n4月22日\t上门走访科技企业\t6\t",
            [(22, 22, "visit", None, {"enterprises": 6})],
        ),
        # Counts written with their unit under a column that names none (数量).
        (
            "时间\t形式\t地点\t数量\n4月21日\t发放宣传折页\t南大街\t400份\n4月24日\t走访企业\t经开区\t5家",
            [
                (21, 21, "publicity", "南大街", {"materials": 400}),
                (24, 24, "visit", "经开区", {"enterprises": 5}),
            ],
        ),
        # Separate 月 and 日 columns; the month is written once.
        (
            "月\t日\t地点\t内容\t人数\n4\t21\t燕都社区\t商标知识讲座\t40\n\t25\t凤凰山广场\t有奖问答\t200",
            [
                (21, 21, "training", "燕都社区", {"participants": 40}),
                (25, 25, "publicity", "凤凰山广场", {"participants": 200}),
            ],
        ),
        # Single spaces between the cells when every header word is a column word.
        (
            "日期 地点 内容 资料\n4月23日 区医院门口 设点宣传 260份",
            [(23, 23, "publicity", "区医院门口", {"materials": 260})],
        ),
        # A dash for an empty cell, approximate numbers (余).
        (
            "时间    地点            活动内容        发放资料    咨询人次\n"
            "4.21    万达广场        集中宣传        1000余      —\n"
            "4.24    区政务大厅      咨询服务        —           35",
            [
                (21, 21, "publicity", "万达广场", {"materials": 1000}),
                (24, 24, "publicity", "区政务大厅", {"consultations": 35}),
            ],
        ),
        # One column word the lists do not know does not hide the table.
        (
            "日期\t地点\t活动内容\t资料\t责任科室\n4月24日\t东大街\t集中宣传\t350\t保护科",
            [(24, 24, "publicity", "东大街", {"materials": 350})],
        ),
        # Space-aligned by screen width (a Chinese character is two columns) under a two-line header.
        (
            "日期      地点              内容            资料       参与情况\n"
            "                                                      咨询   人数\n"
            "4.21      县城新华书店      设宣传点        150        8      \n"
            "4.24      县委党校          商标知识培训                      60",
            [
                (21, 21, "publicity", "县城新华书店", {"materials": 150, "consultations": 8}),
                (24, 24, "training", "县委党校", {"participants": 60}),
            ],
        ),
        # The same two-line header with tabs.
        (
            "日期\t地点\t内容\t宣传情况\t\n\t\t\t发放资料\t咨询人次\n4月23日\t东大街\t集中宣传\t500\t44",
            [(23, 23, "publicity", "东大街", {"materials": 500, "consultations": 44})],
        ),
        # A channel column names where a piece was published: the row is media.
        (
            "日期\t发布渠道\t标题\t阅读量\n4月21日\t双塔发布\t宣传周开幕\t3000\n4月24日\t区局网站\t商标小知识\t800",
            [(21, 21, "media", "双塔发布", {}), (24, 24, "media", "区局网站", {})],
        ),
        # A 数量 column is read with the row's content; a unit alone decides when nothing else does.
        (
            "时间\t活动\t地点\t数量\n4月22日\t接待群众法律咨询\t公共法律服务中心\t25人次\n4月24日\t政策宣讲\t区政务中心\t企业9家",
            [
                (22, 22, "publicity", "公共法律服务中心", {"consultations": 25}),
                (24, 24, "publicity", "区政务中心", {"enterprises": 9}),
            ],
        ),
        # A remark with a count the columns do not have.
        (
            "日期\t活动内容\t地点\t参与企业\t备注\n4月22日\t专利运用培训会\t区委党校\t18家\t40人参会",
            [(22, 22, "training", "区委党校", {"participants": 40, "enterprises": 18})],
        ),
        # A space-aligned cell run into the next with a single space is split where the column starts.
        (
            "日期      渠道            内容              篇数\n"
            "4.20-4.22 区局公众号      商标小知识        3\n"
            "4.24      区融媒体中心    宣传周专题报道    1",
            [(20, 22, "media", "区局公众号", {"articles": 3}), (24, 24, "media", "区融媒体中心", {"articles": 1})],
        ),
        # Two tables in one message: each runs to the next header.
        (
            "线下活动\n日期\t地点\t活动内容\t参与人数\n4月21日\t人民广场\t集中宣传\t300\n"
            "线上活动\n日期\t平台\t内容\t篇数\n4月22日\t区局公众号\t推送商标小知识\t2",
            [
                (21, 21, "publicity", "人民广场", {"participants": 300}),
                (22, 22, "media", "区局公众号", {"articles": 2}),
            ],
        ),
        # A row not carried out is left out.
        (
            "序号\t日期\t地点\t活动内容\t参加人数\t完成情况\n1\t4月22日\t区委会议室\t商标品牌培训\t55\t已完成\n"
            "2\t4月27日\t龙山街道\t知识产权宣讲\t\t未开展（延期）",
            [(22, 22, "training", "区委会议室", {"participants": 55})],
        ),
        # A quoted cell running over two lines stays in its row; counts in the content cell are read.
        (
            '日期\t地点\t活动内容\t发放资料\n4月25日\t朝阳站广场\t"打击侵权假冒宣传\n（咨询群众30人次）"\t800',
            [(25, 25, "publicity", "朝阳站广场", {"materials": 800, "consultations": 30})],
        ),
    ],
)
def test_a_table_reads_one_activity_per_row(units: UnitDirectory, text: str, rows: list[tuple]) -> None:
    assert [row(a) for a in read(units, text)] == rows


@pytest.mark.parametrize(
    ("word", "kind", "field"),
    [
        ("发放资料（份）", Column.COUNT, "materials"),
        ("咨询人次", Column.COUNT, "consultations"),
        ("参与人数", Column.COUNT, "participants"),
        ("参训企业", Column.COUNT, "enterprises"),
        ("篇数", Column.COUNT, "articles"),
        ("人数/份数", Column.COUNT, None),
        ("活动日期", Column.DATE, None),
        ("活动地点", Column.PLACE, None),
        ("活动内容", Column.CONTENT, None),
        ("序号", Column.SEQUENCE, None),
    ],
)
def test_column_words(word: str, kind: Column, field: str | None) -> None:
    assert column_of(word) == (kind, field)


@pytest.mark.parametrize(
    "text",
    [
        "日期 地点 内容 都还没定，等通知",
        "表格里合计那行要不要填",
        "4月22日在人民公园开展集中宣传，发放资料300份",
    ],
)
def test_text_that_is_no_table_is_read_as_before(text: str) -> None:
    assert read_table(text, SENT.date(), text) is None


def test_a_long_table_is_read_row_by_row(units: UnitDirectory) -> None:
    rows = "".join(f"4月{20 + n % 7}日\t第{n}社区\t集中宣传\t{n}\n" for n in range(1, 301))
    activities = read(units, "日期\t地点\t活动内容\t发放资料\n" + rows)
    assert len(activities) == 300
    assert sum(a.materials or 0 for a in activities) == sum(range(1, 301))


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        # Blocks separated by a blank line, one key a line.
        (
            "时间：4月21日上午\n地点：双塔区图书馆\n形式：商标知识讲座\n听众：55人\n\n"
            "时间：4月23日\n地点：朝阳大街\n内容：集中宣传\n发放资料：600份\n咨询：48人次",
            [
                (21, 21, "training", "双塔区图书馆", {"participants": 55}),
                (23, 23, "publicity", "朝阳大街", {"materials": 600, "consultations": 48}),
            ],
        ),
        # No separator: a second 时间 opens the next block; a range is one activity.
        (
            "活动名称：专利成果展\n活动时间：4月20日至24日\n活动地点：区文化馆\n参观人数：约900人\n"
            "活动名称：版权保护讲座\n活动时间：4月25日\n活动地点：区委党校\n参加人数：70人",
            [
                (20, 24, "exhibition", "区文化馆", {"participants": 900}),
                (25, 25, "training", "区委党校", {"participants": 70}),
            ],
        ),
        # Numbered lines holding several pairs each; one value with two counts.
        (
            "1.时间：4.22 地点：区政务中心 形式：政策宣讲会 参加：企业12家，30余人\n"
            "2.时间：4.24 地点：东大街 形式：设点宣传 资料：300份",
            [
                (22, 22, "training", "区政务中心", {"participants": 30, "enterprises": 12}),
                (24, 24, "publicity", "东大街", {"materials": 300}),
            ],
        ),
        # A date line opens each block; 【活动N】 and —— separate them.
        (
            "【活动1】\n日期：4月22日\n渠道：区局公众号\n内容：商标小知识推文\n数量：2篇\n——\n"
            "4月25日\n地点：凤凰社区\n活动：入户宣传\n资料：150份",
            [
                (22, 22, "media", "区局公众号", {"articles": 2}),
                (25, 25, "publicity", "凤凰社区", {"materials": 150}),
            ],
        ),
    ],
)
def test_key_value_blocks_read_one_activity_per_block(units: UnitDirectory, text: str, rows: list[tuple]) -> None:
    assert [row(a) for a in read(units, text)] == rows


def test_one_form_is_read_as_one_row() -> None:
    block = "时间：4月22日\n地点：区图书馆\n内容：商标讲座\n人数：40人"
    activities = read_blocks(block, SENT.date(), block) or []
    assert [row(a) for a in activities] == [(22, 22, "training", "区图书馆", {"participants": 40})]


@pytest.mark.parametrize(
    "text",
    [
        "地点：人民广场，今天上午发放资料200份",  # one labelled place in a sentence
        "时间：4月22日\n今天在区图书馆办了商标讲座，40人参加",  # one key, the rest written out
        "地点：区图书馆\n内容：商标讲座\n人数：40人",  # no date key: the ordinary reader dates it
    ],
)
def test_what_is_no_whole_form_is_left_to_the_ordinary_reader(text: str) -> None:
    assert read_blocks(text, SENT.date(), text) is None


def test_a_rows_source_is_the_row_as_written(units: UnitDirectory) -> None:
    activities = read(units, "日期\t地点\t活动内容\t资料\n４月２２日\t人民公园\t集中宣传\t３００")
    assert activities[0].source_text == "４月２２日\t人民公园\t集中宣传\t３００"
    assert activities[0].materials == 300


def test_numbered_rows_without_a_header_are_one_activity_each(units: UnitDirectory) -> None:
    text = (
        "活动1：4月21日—23日，东风社区，商标知识宣传，资料300份\n"
        "活动2：4月24日，区图书馆三楼报告厅，专利讲座，听众60人\n合计：资料300份，60人"
    )
    assert [row(a) for a in read(units, text)] == [
        (21, 23, "publicity", "东风社区", {"materials": 300}),
        (24, 24, "training", "区图书馆三楼报告厅", {"participants": 60}),
    ]


@pytest.mark.parametrize(
    "text",
    [
        # Sentences, numbered: the ordinary reader (companies named, who took part).
        "一、4月22日，组织企业召开座谈会，8家企业参加。\n二、4月23日，到华兴公司、重型机器公司走访。",
        # A row beside a sentence of counts: read as prose, all of it.
        "1、4月22日，东风社区，集中宣传，资料200份\n2、4月23日，区图书馆，专利讲座，60人\n另外在公众号发了2篇文章",
        # One row only.
        "1、4月22日，东风社区，集中宣传，资料200份",
    ],
)
def test_what_is_no_list_of_rows_is_left_to_the_ordinary_reader(text: str) -> None:
    assert read_listed(text, SENT.date(), text) is None
