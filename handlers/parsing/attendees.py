"""Ceremony attendees named in a reply: "参会 王磊 13900001111", "…的是法规科张伟，电话138…",
"第四检察部 王静 参会".

Each phone number is paired with the name written just before it; without phones, the names
after 参会人员：/参会：/…的是 are taken. A name is two to four Han characters starting with a
common surname, once the department (法规科, 办公室) before it and a title (主任, 同志) around
it are taken off.
"""

from __future__ import annotations

import re

from handlers.parsing.model import Attendee
from handlers.parsing.normalize import opens_with

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池乜鞠"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯")
# (The digit lookahead first: the lookbehind keeps re from skipping to a digit by itself.)
PHONE = re.compile(opens_with(r"\d") + r"(?<!\d)(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-?\d{7,8}|\d{7,8})(?!\d)")
_TITLES = (
    "副局长|局长|副主任|主任|副科长|科长|副处长|处长|股长|庭长|所长|队长|书记|主席|部长|经理|干事|科员"
    "|同志|老师|女士|先生"
)
_DEPARTMENT_WORD = re.compile(rf"科|处|室|股|办|部|中心|大队|中队|所|庭|队|局|委|院|{_TITLES}")
_LABELS = re.compile(r"电话|手机|联系方式|联系电话|号码|tel|Tel|TEL|[:：（）()，,、；;\s]")
# "参加启动仪式的同志：新闻科 赵磊"; "宣传部参加启动仪式：新闻科 刘洋" (the colon makes it a heading)
_NAME_LISTS = re.compile(
    r"(?:参会人员|参加人员|出席人员|参会|报名|人员|名单|的同志|的同事|的是|为|是"
    r"|(?:参加|出席)(?:启动仪式|仪式|开幕式|启动会)(?=\s*[:：]))(?:是|为)?[:：\s]*(?P<names>[^。；;\n]+)"
)
_NAME_SPLIT = re.compile(r"[、，,：:和及与\s]+")
# "检察院：第四检察部 王静 参会": the name before a closing attendance word.
_NAME_THEN_ATTENDS = re.compile(r"(?P<name>[\u4e00-\u9fff]{2,4})\s*(?:参会|出席|参加)(?:启动仪式)?\s*$")
# Every match has one of these: a message without any is not searched (tried at every character).
_NAME_THEN_ATTENDS_NEEDS = ("参会", "出席", "参加")
# What _clean_name takes off a name, compiled once (a report's 是/为 lists clean many parts).
_TITLE_AFTER = re.compile(rf"(?:{_TITLES})$")
_TITLE_BEFORE = re.compile(rf"^(?:{_TITLES})")
_UP_TO_IS = re.compile(r"^.*?(?:的是|是|为)")
_SPACE = re.compile(r"\s")


def extract_attendees(text: str) -> tuple[Attendee, ...]:
    """The (name, phone) pairs in an attendance reply, in order; phone None when not given."""
    attendees: list[Attendee] = []
    position = 0
    for match in PHONE.finditer(text):
        name = _name_in(text[position : match.start()])
        if name:
            attendees.append(Attendee(name, _phone(match.group())))
        position = match.end()
    if attendees:
        return tuple(attendees)
    for listing in _NAME_LISTS.finditer(text):
        names = [_clean_name(part) for part in _NAME_SPLIT.split(listing.group("names"))]
        attendees.extend(Attendee(name, None) for name in names if name)
        if attendees:
            break
    attends = any(word in text for word in _NAME_THEN_ATTENDS_NEEDS)
    if not attendees and attends and (closing := _NAME_THEN_ATTENDS.search(text)):
        name = _clean_name(closing.group("name"))
        attendees.extend([Attendee(name, None)] if name else [])
    return tuple(attendees)


def _phone(written: str) -> str:
    """Spaces out; dashes out of a mobile number, kept after a landline's area code."""
    phone = _SPACE.sub("", written)
    return phone.replace("-", "") if phone.startswith("1") else phone


def _name_in(chunk: str) -> str | None:
    """The name closest before a phone number in ``chunk``."""
    for part in reversed([p for p in _LABELS.split(chunk) if p]):
        name = _clean_name(part)
        if name:
            return name
    return None


def _after_department(part: str) -> str:
    """What follows the last department or title word ("法规科张伟" → "张伟"), else ``part``.

    Found from the end: a regex ".*(?:科|…)" would be tried, and run to the end, from every
    character of a long part that has none (quadratic)."""
    for start in range(len(part) - 1, -1, -1):
        if word := _DEPARTMENT_WORD.match(part, start):
            return part[word.end() :]
    return part


def _clean_name(part: str) -> str | None:
    part = _TITLE_AFTER.sub("", part.strip())
    if len(part) > 4:
        part = _after_department(part) or part
    part = _TITLE_BEFORE.sub("", part)
    part = _UP_TO_IS.sub("", part) if len(part) > 4 else part
    if not 2 <= len(part) <= 4 or not all("\u4e00" <= c <= "\u9fff" for c in part):
        return None
    if part.startswith(_COMPOUND_SURNAMES) or (part[0] in _SURNAMES and len(part) <= 3):
        return part
    return None
