"""Every unit, by name and by alias, in hand-written sentence frames, with every date form and
numeral form written out by this module (labels come from the slot values, never the parser).
"""

from __future__ import annotations

import datetime as dt
from itertools import cycle

from tests.parser.corpus import YEAR, Case, r

# Unit → the ways a liaison writes it (hand-picked from the notice's names and common short forms).
UNIT_WRITINGS: dict[str, tuple[str, ...]] = {
    "市市场监督管理局": ("市市场监督管理局", "市场监管局", "市知识产权局"),
    "市委宣传部": ("市委宣传部", "宣传部"),
    "市中级人民法院": ("市中级人民法院", "市中院", "中院"),
    "市人民检察院": ("市人民检察院", "市检察院"),
    "市外事办公室": ("市外事办公室", "市外办", "外事办"),
    "市发展改革委": ("市发展改革委", "市发改委", "发改委"),
    "市教育局": ("市教育局", "教育局"),
    "市科技局": ("市科技局", "科技局"),
    "市工业和信息化局": ("市工业和信息化局", "市工信局", "工信局"),
    "市公安局": ("市公安局", "公安局"),
    "市司法局": ("市司法局", "司法局"),
    "市农业农村局": ("市农业农村局", "农业农村局", "市农业局"),
    "市商务局": ("市商务局", "商务局"),
    "市文化和旅游局": ("市文化和旅游局", "市文旅局", "文旅局"),
    "市卫生健康委": ("市卫生健康委", "市卫健委", "卫健委"),
    "市国资委": ("市国资委", "国资委"),
    "朝阳海关": ("朝阳海关", "海关"),
    "市林草局": ("市林草局", "林草局"),
    "市科协": ("市科协", "科协"),
    "双塔区知识产权局": ("双塔区知识产权局", "双塔区局", "双塔局"),
    "龙城区知识产权局": ("龙城区知识产权局", "龙城区局", "龙城区市场监管局"),
    "北票市知识产权局": ("北票市知识产权局", "北票市局", "北票局"),
    "凌源市知识产权局": ("凌源市知识产权局", "凌源市局", "凌源局"),
    "朝阳县知识产权局": ("朝阳县知识产权局", "朝阳县局", "朝阳县市场监管局"),
    "建平县知识产权局": ("建平县知识产权局", "建平县局", "建平局"),
    "喀左县知识产权局": ("喀左县知识产权局", "喀左县局", "喀左局"),
}
SELF_REFERENCES = ("我局", "我委", "我单位", "")

# (frame, type, first count field, second count field). {u} unit, {d} date, {p} place, {a}/{b} numbers.
FRAMES = (
    (
        "{u}{d}在{p}开展知识产权集中宣传，发放宣传资料{a}份，解答群众咨询{b}人次",
        "publicity",
        "materials",
        "consultations",
    ),
    ("{d}，{u}在{p}设立宣传台，发放资料{a}份，参与群众{b}人", "publicity", "materials", "participants"),
    ("{u}{d}走访辖区企业{a}家，开展“一对一”指导", "visit", "enterprises", None),
    ("{u}{d}在{p}举办商标品牌培训，参训人员{a}人", "training", "participants", None),
    ("{d}{u}在{p}举办地理标志产品成果展示，参观群众{a}人次", "exhibition", "participants", None),
    ("{u}{d}在微信公众号推送知识产权宣传文章{a}篇", "media", "articles", None),
    ("{d}，{u}邀请专家在{p}举办知识产权讲座，{a}名干部职工参加", "training", "participants", None),
    ("{u}{d}到{p}开展知识产权进社区宣传，发放折页{a}份，接受咨询{b}人次", "publicity", "materials", "consultations"),
)
PLACES = (
    "市政务服务中心",
    "朝阳大街商圈",
    "凌河公园",
    "新华书店门前广场",
    "市图书馆报告厅",
    "人民广场",
    "长宝社区",
    "市民服务中心",
    "步行街",
    "县政务服务大厅",
    "市文化宫",
    "万达广场",
    "展览馆前广场",
    "培训中心一楼大厅",
)
# (value, as written, approximate)
LARGE = (
    (200, "200"),
    (320, "三百二十"),
    (2000, "2000余"),
    (70, "七十多"),
    (40, "四十来"),
    (15000, "1.5万"),
    (1200, "一千二百"),
    (850, "８５０"),
    (200, "两百"),
    (3000, "三千余"),
    (1000, "一千"),
    (450, "四百五十"),
    (96, "96"),
    (120, "一百二十"),
    (35, "三十五"),
    (600, "600多"),
    (32000, "3.2万"),
    (100, "百余"),
    (5000, "五千"),
    (18, "十八"),
    (2500, "2,500"),
    (60, "六十"),
    (150, "１５０"),
    (1100, "一千一百"),
)
SMALL = ((2, "两"), (3, "3"), (5, "五"), (12, "十二"), (8, "8"), (1, "一"), (4, "4"), (6, "六"), (10, "十"))
_DIGITS = "一二三四五六七八九"
CN_DAYS = ("", *_DIGITS, "十", *(f"十{c}" for c in _DIGITS), "二十", *(f"二十{c}" for c in _DIGITS), "三十", "三十一")
WEEKDAYS = "一二三四五六日"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DATE_FORMS = (
    "今天",
    "昨天",
    "前天",
    "md",
    "dot",
    "dash",
    "slash",
    "ymd",
    "hao",
    "cn_day",
    "zhou",
    "xingqi",
    "libai",
    "full",
    "cn_md",
    "md_hao",
    "benzhou",
)
DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2}


def write_date(form: str, sent: dt.date, day: dt.date) -> str:
    """``day`` as a liaison writes it in ``form``, in a message sent on ``sent``."""
    m, d = day.month, day.day
    return {
        "今天": "今天",
        "昨天": "昨天",
        "前天": "前天",
        "md": f"{m}月{d}日",
        "dot": f"{m}.{d}",
        "dash": f"{m}-{d}",
        "slash": f"{m}/{d}",
        "ymd": f"{day.year}年{m}月{d}日",
        "hao": f"{d}号",
        "cn_day": f"{CN_DAYS[d]}日",
        "zhou": f"周{WEEKDAYS[day.weekday()]}",
        "xingqi": f"星期{WEEKDAYS[day.weekday()]}",
        "libai": f"礼拜{WEEKDAYS[day.weekday()]}",
        "full": f"{m}月{d}日".translate(FULL_WIDTH),
        "cn_md": f"{CN_DAYS[m]}月{CN_DAYS[d]}日",
        "md_hao": f"{m}月{d}号",
        "benzhou": f"本周{WEEKDAYS[day.weekday()]}",
    }[form]


def _cases() -> list[Case]:
    cases: list[Case] = []
    frames, forms, places, large, small = (cycle(x) for x in (FRAMES, DATE_FORMS, PLACES, LARGE, SMALL))
    selves = cycle(SELF_REFERENCES)
    sent_days = cycle(range(20, 28))
    hours = cycle(("17:30", "18:05", "20:40", "09:15", "12:00", "21:50"))
    for unit, writings in UNIT_WRITINGS.items():
        for variant in range(len(writings) + 2):
            frame, kind, first, second = next(frames)
            form, place = next(forms), next(places)
            sent = dt.date(YEAR, 4, next(sent_days))
            back = DAY_OFFSETS.get(form, variant % 4)
            if form == "benzhou":
                back = min(back, sent.weekday())  # 本周X stays inside the message's week
            day = sent - dt.timedelta(days=back)
            a_value, a_text = next(small) if first in ("enterprises", "articles") else next(large)
            b_value, b_text = next(large)
            bound = unit if variant >= len(writings) else None
            written = writings[variant] if bound is None else next(selves)
            text = frame.format(u=written, d=write_date(form, sent, day), p=place, a=a_text, b=b_text)
            fields = {first: a_value, **({second: b_value} if second else {})}
            if "{p}" in frame:
                fields["location"] = place
            now = f"{sent:%m-%d} {next(hours)}"
            cases.append(r(text, now, bound, unit, kind, f"{day:%m-%d}", **fields))
    return cases


CASES = _cases()
