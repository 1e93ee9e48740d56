"""Numbers as liaisons write them: 2000余份, 三百二十份, 两百多, 四十来人, 1.5万人次, 近百人, 2000 份;
rough figures (十几, 三四百, 百十来人) count as their lower bound, approximate; 几十/数百 as nothing.

Numeral tokens are cut out with regexes and only the token is handed to cn2an (never its
sentence transform, which would rewrite 一对一 or 十四五). A number is a count only when a
count unit follows it (份, 人次, 家, 篇…), so 第一中学, 一是/二是, 十四五 and 4·26 never are.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import cn2an

from handlers.parsing.normalize import led_by_first_chars, opens_with

CN_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟廿"
# "1千2百", "1万5千": digits with magnitudes between them, as phones write them.
# Runs are bounded (no count has more than 15 digits or 20 Chinese numerals) so that a long run of
# digits, which every position would rescan to its end, costs linear time.
NUMBER = (
    r"\d{1,15}[万千百](?:\d{1,15}[千百十]?){1,4}|\d{1,15}(?:\.\d{1,15})?[kK](?![a-zA-Z])"
    r"|(?:\d{1,15}(?:,\d{3}){1,5}|\d{1,15}(?:\.\d{1,15})?)[十百千万亿]?"
    rf"|[{CN_NUMERAL_CHARS}]{{1,20}}"
)
# "上千群众参与", "300师生", "五十多个居民", "60个人": a people noun right after the number (or
# after 个) counts people like 人.
PEOPLE = (
    *("群众", "市民", "居民", "师生", "学生", "游客", "村民", "农户", "干部", "职工", "观众", "听众"),
    *("老乡", "果农", "农民", "家长", "孩子", "老人", "员工", "工人"),
    # "五六十个企业负责人", "十来个企业代表", "二十多个技术员"
    *("企业负责人", "企业代表", "企业家", "负责人", "代表", "技术员"),
)
# "三百来号人": 号人 is spoken for people.
PEOPLE_NOUNS = (*PEOPLE, "号人", *(f"个{noun}" for noun in ("人", *PEOPLE)))
COUNT_UNITS = (
    # "接受企业咨询十五家次": visits by enterprises, counted like people's
    *("人次", "家次", "户次", "人", "名", "位", *sorted(PEOPLE_NOUNS, key=len, reverse=True)),
    *("份", "册", "本", "张", "套", "件", "个", "袋", "盒", "把"),
    *("篇", "条", "则", "期", "部", "集"),
    *("家次", "户次", "家", "户", "所"),
    *("次", "场"),
)
_MAGNITUDE = {"万": 10_000, "千": 1_000}
_BARE_MAGNITUDE = re.compile(r"[百千万亿佰仟]+")
# Prefixes that make a count approximate. 上 only counts before a bare magnitude (上百人);
# elsewhere it is part of a word (线上100人).
_APPROXIMATE_PREFIXES = ("大约", "将近", "约计", "约", "近", "逾", "超过", "超", "上")
# Rough figures: 十几 (10+), 二十几, 三四百 (300 to 400), read as their lower bound, approximate.
_ROUGH = re.compile(
    # 一百零几: a hundred and a few
    r"(?P<head>[一二三四五六七八九十百千万]*零?)几[十百千万]?"
    # 三四百, 一千五六百 (1500 to 1600)
    r"|(?P<lead>[一二三四五六七八九两]+[百千万])?(?P<low>[一二三四五六七八九])(?P<high>[二三四五六七八九])(?P<size>[十百千万]?)"
)
# What a count can open with: a prefix's first character, a digit or a numeral (NUMBER's every
# alternative opens with one), 几. Asked first at each position, it halves a message's scan: the
# prefixes and numbers are tried only where one can start.
_PREFIX_OPENS = "".join(sorted({prefix[0] for prefix in _APPROXIMATE_PREFIXES}))
_QUANTITY_OPENS = opens_with(rf"{_PREFIX_OPENS}\d{CN_NUMERAL_CHARS}几")
_QUANTITY = re.compile(
    _QUANTITY_OPENS + rf"(?P<pre>{'|'.join(_APPROXIMATE_PREFIXES)})?"
    rf"(?P<num>{NUMBER}|[{CN_NUMERAL_CHARS}]{{0,20}}几[十百千万]?)"
    # "资料|500|份": a table's cells
    r"(?P<more>余|多|来)?(?P<mag>[万千])?(?P<more2>余|多)?[ |]?"
    # (led by the units' first characters: tried after every way of cutting the number, ~70 words)
    rf"(?P<unit>{led_by_first_chars(COUNT_UNITS)})"
    r"(?P<post>左右|上下|以上|之多)?"
)
# A unit character followed by one of these is the start of a word, not a unit:
# 两部门, 一家人, 二十家子镇, 张贴, 条例, 人民, 场所; 老字号一条街, 一条龙服务 name a street or a manner.
_WORD_AFTER_UNIT = {
    "人": "民大才口工",
    "部": "门分署长队",
    "家": "庭长属乡人园具居子镇村屯堡",
    "户": "外口籍型",
    "位": "置于",
    "所": "以有在属谓",
    "场": "所地馆景面合",
    "张": "贴",
    "件": "事",  # 两件事: things done, told next
    "条": "例件款街路巷龙",
    "期": "间",
    "本": "局单次市地部届月周年着轮期级",
    "名": "单称字义录",
    "把": "手关握控",
}
# Before the number: 第一中学, 每人2份, 人均3份 are no counts; nor a digit run glued to letters.
# 初二学生, 高一: school grades.
# 一等奖10名, 优秀奖5名: prizes given, not people come.
_NOT_A_COUNT_BEFORE = ("第", "每", "人均", "平均", "·", "初", "高", "等奖", "优秀奖", "鼓励奖")
# "每天1篇", "每天发布1条": a daily rate.
# "每天1篇", "每天发布1条", "每天发放资料约300份", "每次发资料200份": a rate per day or per time.
_PER_DAY = re.compile(r"(?:每天|每日|每次|每场)[\u4e00-\u9fff]{0,4}?(?:约|近|大约)?$")


class Quantity(NamedTuple):  # not a frozen dataclass: made for every number read, ~4x cheaper
    """A number with its count unit, [start, end) in the text it was found in."""

    value: int
    approximate: bool
    unit: str
    start: int
    end: int
    # A daily rate ("连续3天推送，每天1篇"): the count of each day of the activity's span.
    per_day: bool = False


# cn2an validates and rewrites its input on every call (~10 µs); a report asks for the same few
# tokens again and again (each stage reads the numbers it needs), and the answer depends on the token alone.
@lru_cache(maxsize=4096)
def to_int(token: str) -> int | None:
    """The integer a numeral token means (Arabic, Chinese, 1.5万, 1.2k), or None if it is not one."""
    token = token.replace(",", "")
    if token[-1:] in "kK" and token[:-1].replace(".", "", 1).isdigit():
        return int(float(token[:-1]) * 1000)
    if token and token[0] in "百千万亿佰仟":
        token = "一" + token
    try:
        value = cn2an.cn2an(token, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    if value < 0 or value != int(value):
        return None
    return int(value)


def find_quantities(text: str) -> list[Quantity]:
    """Every counted number in ``text`` (a normalised message), in order."""
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(text):
        quantity = _quantity(text, match)
        if quantity is not None:
            found.append(quantity)
    return found


def _quantity(text: str, match: re.Match[str]) -> Quantity | None:
    num, unit, pre = match.group("num"), match.group("unit"), match.group("pre")
    bare = _BARE_MAGNITUDE.fullmatch(num) is not None
    more = match.group("more") or match.group("more2")
    if pre == "上" and not bare:
        pre = None
    start = match.start("num") if pre is None else match.start()
    # The few characters before are all the checks below look at (_PER_DAY spans at most 8).
    before_end = match.start("num") if pre is None else match.start()
    before = text[max(0, before_end - 12) : before_end]
    per_day = _PER_DAY.search(before) is not None
    per_head = before[-2:-1] == "每" and not per_day  # 每人2份, 每户1册: a rate, not a count
    if per_head or before.endswith(_NOT_A_COUNT_BEFORE) or (before[-1:].isascii() and before[-1:].isalnum()):
        return None
    if bare and not (pre or more):
        return None  # 千家万户, 万人签名: a figure of speech, not a count
    after = text[match.end("unit") : match.end("unit") + 1]
    if after and after in _WORD_AFTER_UNIT.get(unit, ""):
        return None
    if num == "一" and after == "一":
        return None  # 一人一档, 一户一策
    if unit == "集" and len(num) > 1 and not any(c in num for c in "十百千万"):
        return None  # 二六集, 三八集: the market days, not episodes
    if before[-1:] in ("几", "数", "好") and num[0] in "几十百千万拾佰仟":
        return None  # 几十人, 数百人, 好几百人: no figure given (人数二百人 is one)
    # 七八个, 一百三四十: rough before exact (cn2an reads 七八 as 78); 百十来人 is about a hundred.
    value, rough = (100, True) if num == "百十" else (_rough(num), True)
    if value is None:
        value, rough = to_int(num), False
    if value is None:
        return None
    value *= _MAGNITUDE.get(match.group("mag") or "", 1)
    approximate = bool(rough or pre or more or match.group("post"))
    return Quantity(value, approximate, unit, start, match.end(), per_day)


def _rough(token: str) -> int | None:
    """The lower bound of a rough figure (十几 → 10, 三四百 → 300), else None."""
    match = _ROUGH.fullmatch(token)
    if match is None:
        return None
    if match.group("low") is None:
        head = match.group("head").rstrip("零")
        return to_int(head) if head else None
    if "一二三四五六七八九".index(match.group("high")) != "一二三四五六七八九".index(match.group("low")) + 1:
        return None
    return to_int((match.group("lead") or "") + match.group("low") + match.group("size"))
