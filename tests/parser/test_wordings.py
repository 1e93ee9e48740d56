"""Wordings from the eighth blind batch, one rule each, so that a change breaking one names it
(the corpus score alone would only move by a case)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from handlers.parsing import parse_report
from handlers.parsing.dates import find_dates
from handlers.parsing.numerals import find_quantities
from handlers.units import UnitDirectory
from scheduler.clock import TZ

BOUND = "双塔区知识产权局"


@pytest.fixture(scope="module")
def units(settings: Settings) -> UnitDirectory:
    return UnitDirectory(settings.units)


def at(month: int, day: int, hour: int = 18) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "sent", "days"),
    [
        ("4·21在人民广场开展宣传", dt.date(2026, 4, 22), [dt.date(2026, 4, 21)]),
        ("4·26世界知识产权日当天在县人民公园开展主题宣传", dt.date(2026, 4, 27), [dt.date(2026, 4, 26)]),
        ("世界知识产权日当天在慕容街开展宣传", dt.date(2026, 4, 27), [dt.date(2026, 4, 26)]),
        ("22、23号两天在兴源市场开展宣传", dt.date(2026, 4, 23), [dt.date(2026, 4, 22), dt.date(2026, 4, 23)]),
    ],
)
def test_dates(text: str, sent: dt.date, days: list[dt.date]) -> None:
    assert [day for mention in find_dates(text, sent) for day in mention.days] == days


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("路过看的有百十来人", 100, "人"), ("来了三百来号人", 300, "号人"), ("派发宣传扇子三百把", 300, "把")],
)
def test_spoken_counts(text: str, value: int, unit: str) -> None:
    [quantity] = find_quantities(text)
    assert (quantity.value, quantity.unit) == (value, unit)


def test_the_first_of_one_handful_is_no_fan() -> None:
    assert find_quantities("单位一把手带队宣传") == []


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("今天在“龙城发布”微博、视频号同步推送短视频第二集，两个平台各1条", "articles", 2),
        ("今天在东大屯乡、王营子乡两个乡的集上发资料，一共发了九百来份", "materials", 900),
        ("今天在联合镇葡萄园搞了个田间课堂 果农来了六十多个 另外发了资料一百五十份", "participants", 60),
        ("今天在北票大集摆了个摊子发了三百来份资料有二十几个老乡过来问", "consultations", 20),
        ("今天在公共法律服务中心开展法律咨询日，解答咨询八十七人次，代写法律文书三份", "materials", None),
        ("今天和市监局去了新天地商贸城，挨家给商户讲不卖假货，走了四十来家", "enterprises", 40),
        ("区融媒体“双塔发布”今天转了宣传周主题海报一张，原创推文一篇", "articles", 2),
    ],
)
def test_what_each_number_counts(units: UnitDirectory, text: str, field: str, value: int | None) -> None:
    reading = parse_report(text, at(4, 22), BOUND, units)
    assert sum(getattr(a, field) or 0 for a in reading.activities) == (value or 0)


@pytest.mark.parametrize(
    ("text", "sent", "intent"),
    [
        ("今天下雨，计划的宣传取消了，不改期", at(4, 23, 8), "other"),
        ("今天下雨，宣传活动改到周五", at(4, 22, 8), "report"),
        ("【转发】关于印发《宣传周活动方案》的通知：请准时派人参加4月17日的启动仪式", at(4, 16, 9), "other"),
        ("17号上午我和我们科长俩人过去，我叫韩雪，电话18642130077", at(4, 16, 17), "rsvp"),
        ("检察院的总结今天上午通过政务外网邮箱发出", at(4, 28, 9), "summary"),
        ("4月24日在朝阳科技城举办高校院所专利成果与企业对接活动", at(4, 24, 19), "report"),
        ("今天没有开展活动", at(4, 24, 19), "other"),
        ("感谢市局指导，今年我们县第一次搞成果展，效果不错", at(4, 27, 9), "other"),
    ],
)
def test_intents(units: UnitDirectory, text: str, sent: dt.datetime, intent: str) -> None:
    assert parse_report(text, sent, BOUND, units).intent == intent


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("周一全市中小学开展“尊重知识产权”主题升旗仪式", ["publicity"]),
        ("外办今天请专家来讲海外商标抢注防范，听课人员三十三人", ["training"]),
        ("今天在万达广场开展集中宣传，发放资料两千多份，同时区融媒体中心对活动进行了报道", ["publicity"]),
        ("今天上午启动仪式在七楼会议室举行，九十余人出席。仪式后召开交流座谈会", ["ceremony"]),
    ],
)
def test_types(units: UnitDirectory, text: str, types: list[str]) -> None:
    assert [a.type for a in parse_report(text, at(4, 20), BOUND, units).activities] == types


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("今早经侦在龙城区物流园查扣一批假冒包装箱，发了明白纸八十张", "龙城区物流园"),
        ("科普大篷车今天开进了凌源市刀尔登镇中心小学，发放挂图二百五十套", "凌源市刀尔登镇中心小学"),
        ("今早赶西大营子镇大集，设了个咨询摊，到中午收摊发出去宣传单三四百张", "西大营子镇大集"),
        ("教育局：双塔区实验小学今天下午举行知识竞赛决赛，近百名学生家长到场", "双塔区实验小学"),
        ("入企服务3家 经开区 送政策汇编30本", "经开区"),
        ("市局执法人员对双塔区商业街上百家商户开展检查指导", "双塔区商业街"),
    ],
)
def test_places(units: UnitDirectory, text: str, place: str) -> None:
    assert [a.location for a in parse_report(text, at(4, 24), BOUND, units).activities] == [place]
