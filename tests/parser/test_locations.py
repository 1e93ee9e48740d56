"""Where an activity happened."""

from __future__ import annotations

import pytest

from handlers.parsing.locations import find_locations


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("在县政务服务大厅发放宣传折页三百二十份", ["县政务服务大厅"]),
        ("宣传展示活动在朝阳海关监管场所举行", ["朝阳海关监管场所"]),
        ("于4月20日在市委党校举办报告会", ["市委党校"]),
        ("在双塔区图书馆三楼报告厅，邀请专家举办讲座", ["双塔区图书馆三楼报告厅"]),
        ("在广场上发放资料", ["广场"]),
        ("活动地点：朝阳市人民公园；发放资料500份", ["朝阳市人民公园"]),
        ("到辽宁燕山湖发电公司、朝阳重型机器公司走访", ["辽宁燕山湖发电公司、朝阳重型机器公司"]),
        ("走进龙城区长宝社区，开展宣传", ["龙城区长宝社区"]),
        ("在向阳社区开展宣传", ["向阳社区"]),
        ("在抖音直播了打假现场", ["抖音"]),
        ("今天广场宣传 资料800", ["广场"]),
        ("社区宣传 发放资料150份", ["社区"]),
        ("刚在社区发完资料，二百份", ["社区"]),
        ("在双塔区光明社区宣讲1场", ["双塔区光明社区"]),
        ("在12309检察服务大厅开展宣传", ["12309检察服务大厅"]),
        ("在审判庭公开宣判一起案件", ["审判庭"]),
        ("在王营子乡集市发资料两百份", ["王营子乡集市"]),
    ],
)
def test_locations(text: str, where: list[str]) -> None:
    assert [loc.text for loc in find_locations(text)] == where


@pytest.mark.parametrize(
    "text",
    [
        "在宣传周期间开展宣传",
        "在此次活动中发放资料",
        "到2家地标企业上门指导",
        "深入辖区企业开展服务",
        "认识到知识产权的重要性，",
        "收到资料后发放",
        "开展知识产权进社区宣传",
        "集中宣传，发放资料",
    ],
)
def test_no_location(text: str) -> None:
    assert find_locations(text) == []


def test_where_it_happened_is_told_from_where_someone_went() -> None:
    went, happened = find_locations("到凌源市开展宣传，在人民广场设置展台")
    assert (went.text, went.where, happened.text, happened.where) == ("凌源市", False, "人民广场", True)


def test_a_verb_inside_a_unit_name_ends_no_location() -> None:
    text = "在市委宣传部的指导下开展宣传"
    names_masked = text.replace("市委宣传部", "□" * 5)
    assert find_locations(text) != []
    assert find_locations(text, names_masked) == []
