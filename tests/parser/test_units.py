"""UnitDirectory and which unit a message is read as reporting for."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from handlers.parsing import parse_report
from handlers.parsing.directory import UnitDirectory

NOW = dt.datetime(2026, 4, 22, 18, 0)


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def test_names_follow_the_config(units: UnitDirectory, settings: Settings) -> None:
    assert units.names == tuple(u.name for u in settings.units)
    assert len(units.names) == 26


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("市发展改革委", "市发展改革委"),
        ("市中院", "市中级人民法院"),
        ("文 旅 局", "市文化和旅游局"),
        ("建平县局", "建平县知识产权局"),
        ("喀左局", "喀左县知识产权局"),
        ("市知识产权局", "市市场监督管理局"),
        ("凌源市", None),
        ("公安", None),
    ],
)
def test_canonical(units: UnitDirectory, written: str, unit: str | None) -> None:
    assert units.canonical(written) == unit


def test_mentions_prefer_the_longest_and_tell_places(units: UnitDirectory) -> None:
    found = units.mentions("喀左县局在喀左县城、北票市体育场开展宣传，朝阳县公安局配合")
    assert [(m.unit, m.is_place) for m in found] == [
        ("喀左县知识产权局", False),
        ("喀左县知识产权局", True),
        ("北票市知识产权局", True),
        ("朝阳县知识产权局", True),
    ]


@pytest.mark.parametrize("text", ["省市场监管局", "凌源市公安局", "县检察院"])
def test_other_levels_offices_are_not_ours(units: UnitDirectory, text: str) -> None:
    assert [m for m in units.mentions(text) if not m.is_place] == []


@pytest.mark.parametrize(
    ("text", "bound", "unit", "source"),
    [
        ("【市发展改革委】今天我委在政务大厅开展宣传", None, "市发展改革委", "text"),
        ("我委今天在政务大厅开展宣传", "市发展改革委", "市发展改革委", "binding"),
        ("文旅局今天在古城举办展览", None, "市文化和旅游局", "text"),
        ("今天联合市公安局在广场开展宣传", "双塔区知识产权局", "双塔区知识产权局", "binding"),
        ("请问海关的活动算不算我们局的？", "市商务局", "市商务局", "binding"),
        ("今天会同市司法局、市检察院开展普法宣传", "市中级人民法院", "市中级人民法院", "binding"),
        ("今天在朝阳海关监管场所举办展示活动", "市商务局", "市商务局", "binding"),
        ("凌源市今天在体育场开展宣传", "凌源市知识产权局", "凌源市知识产权局", "binding"),
        ("凌源市今天在体育场开展宣传", None, "凌源市知识产权局", "text"),
        ("今天在凌源市体育场开展宣传", None, None, None),
        ("今天参加了市知识产权局举办的培训", "市科技局", "市科技局", "binding"),
        ("今天邀请市中院法官开展讲座", "市教育局", "市教育局", "binding"),
        ("双塔区局今天在凌河公园开展宣传", "市市场监督管理局", "双塔区知识产权局", "text"),
        ("今天在广场开展宣传", None, None, None),
    ],
)
def test_which_unit_reports(
    units: UnitDirectory, text: str, bound: str | None, unit: str | None, source: str | None
) -> None:
    reading = parse_report(text, NOW, bound, units)
    assert (reading.unit, reading.unit_source) == (unit, source)


def test_an_unknown_unit_is_noted(units: UnitDirectory) -> None:
    assert any("单位" in note for note in parse_report("今天在广场开展宣传", NOW, None, units).notes)
