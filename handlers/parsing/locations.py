"""Where an activity happened: 在…开展/举办/设…, 于…举行, 到/走进…走访, 地点：….

A location is the shortest stretch between the marker and the first activity verb after it, so
"在县政务服务大厅发放宣传折页" gives 县政务服务大厅. Stretches that are times or circumstances
(宣传周期间, 活动中, 市委的指导下), that hold a verb's 了 (在抖音直播了…) or a count (到2家企业)
are no locations. Without a verb after it, a stretch ending in a place word (…报告厅，) is one.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from handlers.parsing.keywords import PUBLISH_VERBS
from handlers.parsing.normalize import MASK, led_by_first_chars
from handlers.parsing.numerals import find_quantities
from handlers.parsing.trace import Trace

_STOP = '，。；,;！!？?\\s：:“”"（）()'
_AT_VERBS = (
    "开展|举办|举行|召开|进行|设立|设置|设点|设台|设摊|设宣传|设咨询|设了|组织|发放|办了|办起|办完|开了|开完"
    # "在县文化广场办商标知识展": a bare 办 too (办公室, 办理, 办事 are no holding)
    "|办(?![公理事])|搞了|搞完|搞|摆|发了|发完|宣讲|宣将|接待"
    "|摆放|摆台|布置|搭建|张贴|悬挂|展出|展示|集中|面向|为|向(?![阳东西南北前])|对|启动|开设|宣传|走访|联合"
    "|调研|参加|参观|讲了|上了|派发|分发|赠送|接受|解答|现场|讲座|培训|授课|开幕|开庭|审理|宣判|公开"
    "|发资料|发宣传|发折页|发手册|发传单|座谈|查扣|查处|检查|巡查|执法|开班|开课|开讲|给"
    "|讲完|讲课|上课|忙活|设点|开的|办的|发方|设知识产权|放了|放映|送到|送出|送达|接着"
)
# 关于/对于/由于… are no 于 of place. (Each alternative opens with its character, the guard after
# it: re then skips in C to where 在 or 于 stands instead of trying the pattern at every position.)
_IN = r"(?:在|于(?<![关对由基鉴属至终过等]于))"
# The verbs and place words below are tried after every step of a lazy run ("在" then 2 to 30
# characters): led by their first characters, each step checks one class, not every word in turn.
_AT_VERB = led_by_first_chars((*_AT_VERBS.split("|"), *PUBLISH_VERBS, "直播"))
_AT = re.compile(rf"{_IN}(?P<loc>[^{_STOP}]{{2,30}}?){_AT_VERB}")
# "在双塔区图书馆三楼报告厅，邀请专家举办…": a place word ends it where no verb follows.
_PLACE_END = (
    "厅|馆|室|中心|广场|公园|社区|街道|镇|乡|村|小学|中学|大学|学校|学院|市场|商圈|商场|大厦|楼|园区|园|站"
    "|街|路|场|院|集|集市|早市|夜市|店|城|景区|基地|大队|开发区|经开区|高新区|新区|村部|村委会|门口|门前"
)
_PLACE_ENDING = led_by_first_chars(_PLACE_END.split("|"))
# "在县城体育场那边做了个展示": a place word then 那边 is the place, whatever verb follows.
_THERE = "那边|这边|那块|这块"
_AT_PLACE = re.compile(
    rf"{_IN}(?P<loc>[^{_STOP}]{{2,30}}?{_PLACE_ENDING})(?:(?:上|里|{_THERE})?(?=[，,；;。\s]|$)|(?={_THERE}))"
)
# Terse notes name the place bare, right before the verb: "今天广场宣传", "社区宣传 发放资料150份".
# Only at a clause's start (or after a day word) and only a short name ending in a public place.
# A day word may come between the place and the verb: "龙城区联合乡今天宣传".
_BARE_PLACE = (
    "广场|社区|学校|小学|中学|大学|医院|商圈|商场|市场|公园|步行街|商业街|街道|集市|大集|大厅|景区|园区|镇|乡|村|馆"
    "|门口|门前|中心|村部|村委会|礼堂|会议室"
)
_BARE_PLACE_ENDING = led_by_first_chars(_BARE_PLACE.split("|"))
# "利州街道那边今天搞了场…", "南哨街道社区服务中心办了场培训": the place, maybe a day word, the verb.
# Speech puts 那个 before it ("今天那个实验小学弄了个讲堂"), and any verb with 了 may follow, a
# typo'd one too ("服务中心举半了宣讲", "开张了" for 开展了).
_BARE = re.compile(
    rf"(?:今天|昨天|前天|今日|昨日|今儿|昨儿|上午|下午|[日号]|[{_STOP}]|^)(?:那个|这个)?"
    rf"(?P<loc>[\u4e00-\u9fff]{{0,14}}?{_BARE_PLACE_ENDING})(?:那边|这边|那块)?"
    r"(?=\s?(?:今天|昨天|今日|今儿|昨儿|上午|下午){0,2}\s?"
    r"(?:宣传|开展|举办|举行|设点|设摊|摆摊|摆台|发放|发资料|发了|资料|走访|科普|搞|办了|开了|设了|设置|组织"
    r"|[\u4e00-\u9fff]{1,2}了))"
)
# "依托双塔区公共法律服务中心开展…": the centre is where it happened.
_RELYING_ON = re.compile(
    rf"(?:依托|借助|利用)(?P<loc>[^{_STOP}]{{2,30}}?{_PLACE_ENDING})(?=开展|举办|组织|设立|提前|宣传)"
)
# "组织企业代表参观市规划展览馆知识产权成果展区": the place visited.
_VISITED = re.compile(rf"参观(?P<loc>[^{_STOP}]{{2,20}}?{_PLACE_ENDING})")
# "今天刀尔登赶集，…", "上午联合镇赶集设了个咨询台": the town whose market day it is.
_MARKET_DAY = re.compile(rf"(?:今天|今儿个?|昨天|昨儿个?|上午|下午|[{_STOP}]|^)(?P<loc>[\u4e00-\u9fff]{{2,8}}?)赶集")
# "去西大营子农贸市场转了一圈", "去建平县职教中心给学员上了堂课": going to a public place.
_GO = re.compile(
    # (去 looked for first: the lookbehind keeps re from skipping to it by itself)
    rf"(?=去)(?<![过回出进上下失])去(?:(?!了)|了(?=[^{_STOP}]{{2,20}}?{_PLACE_ENDING}(?:{_THERE})))"
    rf"(?P<loc>[^{_STOP}]{{2,20}}?{_PLACE_ENDING})"
    r"(?=转|走访|看|宣传|发|开展|搞|调研|给|讲|参加|上门|服务|[，,。；;\s]|那边|这边|那块)"
)
# Terse notes put the place alone between spaces or last: "喀左 今天 利州广场 资料600",
# "发折页1200份，医院门诊大厅".
_TOKEN = re.compile(rf"(?:^|(?<=\s))(?P<loc>[\u4e00-\u9fff]{{0,12}}?{_PLACE_ENDING})(?:这边|那边)?(?=\s|[,，](?=\S))")
_TRAILING = re.compile(rf"(?:^|(?<=[\s，,]))(?P<loc>[\u4e00-\u9fff]{{0,10}}?{_PLACE_ENDING})\s*$")
# Its place ends where the message's trailing spaces start and is at most this long: searched from
# there, not tried (and failed) at every position of the message.
TRAILING_REACH = 10 + max(len(word) for word in _PLACE_END.split("|"))
# "我局组织全市中小学开展…": who organised whom, no place.
_BARE_NOT = re.compile("进|开展|举办|组织|我|到|赴|去|了|的|今天|昨天|前天|今日|昨日|上午|下午")
_TO_VERBS = "开展|走访|调研|进行|指导|宣传|举办|上门|参观|实地|了解|座谈|送|发放|为|向|对|给"
_TO_VERB = led_by_first_chars(_TO_VERBS.split("|"))
# 收到/达到/认识到 are no movement; a bare 到 needs a verb after the place, the others may end
# at punctuation (走进长宝社区，…).
_ARRIVE = "到(?<![收达得受看做识意提遇感找想]到)"  # the guard after 到: see _IN
_TO = re.compile(rf"{_ARRIVE}(?P<loc>[^{_STOP}]{{2,40}}?){_TO_VERB}")
# "到西大营子镇，指导…": a bare 到 may end at punctuation when what follows it is a place.
_TO_PLACE = re.compile(rf"{_ARRIVE}(?P<loc>[^{_STOP}]{{2,20}}?{_PLACE_ENDING})(?=[，,；;。\s]|$|{_THERE})")
# "对朝阳商贸城20家商户开展指导", "到南哨街道3家紫陶企业…", "走访了产业园内的5家企业": the place
# whose units are counted.
_OBJECT_PLACE = re.compile(
    rf"(?:对|指导|到|赴|深入|走进|走访了?|去了?)(?P<loc>[^{_STOP}]{{2,20}}?{_PLACE_ENDING})"
    r"(?=\s?(?:内的?|的)?(?:上|近|约)?[\d一二三四五六七八九十两百千]+\s?[家个户所])"
)
_INTO = re.compile(
    # "为深入贯彻落实…", "深入开展…": 深入 as "thoroughly" goes nowhere.
    rf"(?:赴|走进|开进|深入(?!贯彻|落实|推进|开展|学习|实施|宣传|挖掘|研究|了解|细致)|来到|前往|进入|去了)了?"
    rf"(?P<loc>[^{_STOP}]{{2,40}}?)(?:{_TO_VERBS}|[，。；,;]|$)"
)
# "今早赶西大营子镇大集": going to a market fair is being there.
_FAIR = re.compile(rf"赶(?:上)?(?P<loc>[^{_STOP}]{{2,15}}?(?:大集|集市|庙会|集))(?=[，,；;。\s]|$)")
# "地点区工商联三楼会议室": with no colon, only a stretch ending in a place word.
_LABELLED = re.compile(
    rf"地点(?:(?:[:：|]|为|是|在|\s)\s*(?P<loc>[^{_STOP}|]{{2,30}})"
    rf"|(?P<bare>[^{_STOP}|]{{2,30}}?{_PLACE_ENDING})(?=[{_STOP}|]|$))"
)
_NOT_A_PLACE = re.compile(
    "期间|之际|来临|前夕|基础上|过程中|活动中(?!心)|此次|本次|同时|指导下|支持下|号召下|带领下|组织下|推动下"
    "|的基础|以来|当天|当日|上午|下午|晚上|中午|早上|傍晚|时候|之前|之后|了"
)
_SEVERAL_PLACES = re.compile(
    r"[两二三四五六七八九十\d]+个(?:镇|乡|村|街道|社区|点|地方)(?:的[\u4e00-\u9fff]{1,3}|同时)?$"
)
_HOTLINE = re.compile(r"\d{5}[\u4e00-\u9fff]")
_VAGUE = frozenset(
    {
        "现场",
        "活动",
        "会上",
        "线下",
        "网上",
        "此",
        "期间",
        "集上",
        "集市",
        "县里",
        "市里",
        "这儿",
        "那儿",
        "这里",
        "那里",
    }
)


# "举办…线上直播讲座", "在线上举办": an activity held online is held 线上 (where a place is also
# named, the place wins: a 线上 is only where someone went, see find_locations); 线上线下 is both.
_ONLINE = re.compile(
    r"(?P<loc>线上)(?![、和与及]?线下)"
    r"(?=[\u4e00-\u9fff]{0,4}?(?:直播|讲座|培训|课堂|宣讲|答题|竞赛|会议|举办|开展|进行))"
)


# A pattern that cannot match without one of these words (its marker) is not searched where none
# stands: most reports have no 参观, 依托, 线上, 地点, many no 到 or 去.
_NEEDS: dict[re.Pattern[str], tuple[str, ...] | re.Pattern[str]] = {
    _MARKET_DAY: ("赶集",),
    _AT: ("在", "于"),
    _AT_PLACE: ("在", "于"),
    _RELYING_ON: ("依托", "借助", "利用"),
    _FAIR: ("赶",),
    _TO: ("到",),
    _TO_PLACE: ("到",),
    _OBJECT_PLACE: ("对", "指导", "到", "赴", "深入", "走进", "走访", "去"),
    _INTO: ("赴", "走进", "开进", "深入", "来到", "前往", "进入", "去了"),
    _GO: ("去",),
    _VISITED: ("参观",),
    _ONLINE: ("线上",),
    _LABELLED: ("地点",),
    # its ~30 place words, found in one search led by their first characters
    _BARE: re.compile(_BARE_PLACE_ENDING),
}
_PATTERNS = (
    *(_LABELLED, _AT, _AT_PLACE, _RELYING_ON, _BARE, _FAIR, _MARKET_DAY, _TOKEN, _TRAILING),
    *(_TO, _TO_PLACE, _OBJECT_PLACE, _INTO, _GO, _VISITED, _ONLINE),
)
_WENT = (_TO, _TO_PLACE, _OBJECT_PLACE, _INTO, _GO, _VISITED, _ONLINE)
_BARE_KINDS = (_BARE, _TOKEN, _TRAILING, _MARKET_DAY)


class _Search(NamedTuple):
    pattern: re.Pattern[str]
    needs: re.Pattern[str] | None  # the marker, None when the pattern has none
    went: bool  # finds where someone went (到/走进…), not where it happened
    bare: bool  # a place named bare, without a marker: checked against _BARE_NOT


def _marker(needs: tuple[str, ...] | re.Pattern[str] | None) -> re.Pattern[str] | None:
    """The marker's words as one search (in C: a look for each word is a Python loop)."""
    if needs is None or isinstance(needs, re.Pattern):
        return needs
    return re.compile("|".join(map(re.escape, needs)))


# Each pattern with what is asked of it, worked out once: a compiled pattern hashes its whole
# program on every dict or set lookup (~1 µs for the long ones here, 16 per message).
_SEARCHES = tuple(
    _Search(pattern, _marker(_NEEDS.get(pattern)), pattern in _WENT, pattern in _BARE_KINDS) for pattern in _PATTERNS
)
# What each pattern reads, for `weekbot parse --explain`.
_PATTERN_NAMES = {
    _LABELLED: "labelled 地点：… (_LABELLED)",
    _AT: "在/于 … before an activity verb (_AT)",
    _AT_PLACE: "在/于 … ending in a place word (_AT_PLACE)",
    _RELYING_ON: "依托/借助 … (_RELYING_ON)",
    _BARE: "a bare place right before the verb (_BARE)",
    _FAIR: "赶 … 集 (_FAIR)",
    _MARKET_DAY: "… 赶集 (_MARKET_DAY)",
    _TOKEN: "a place alone between spaces (_TOKEN)",
    _TRAILING: "a place ending the message (_TRAILING)",
    _TO: "到 … before an activity verb (_TO)",
    _TO_PLACE: "到 … ending in a place word (_TO_PLACE)",
    _OBJECT_PLACE: "the place whose units are counted (_OBJECT_PLACE)",
    _INTO: "赴/走进/深入 … (_INTO)",
    _GO: "去 … a public place (_GO)",
    _VISITED: "参观 … (_VISITED)",
    _ONLINE: "held online (_ONLINE)",
}


class Location(NamedTuple):  # not a frozen dataclass: made for every place read, ~3x cheaper
    text: str
    start: int
    end: int
    where: bool  # said where it happened (在/于/地点), not where someone went (到/走进)
    labelled: bool = False  # written as 地点：…, which outranks a place guessed from a verb


def find_locations(text: str, names_masked: str | None = None, trace: Trace | None = None) -> list[Location]:
    """All locations in ``text``, in order, non-overlapping.

    ``names_masked`` is ``text`` with unit names masked, searched instead so that a verb inside a
    name ends no location ("在市委宣传部的指导下…" has no place 市委). ``trace`` records the
    pattern that found each.
    """
    searched = text if names_masked is None else names_masked
    found: list[Location] = []
    # The characters of the places kept so far: an overlap costs the place's own length to find,
    # not a look at every place kept (quadratic in a message full of places).
    taken = bytearray(len(text))
    for pattern, needs, went, bare in _SEARCHES:
        if needs is not None and needs.search(searched) is None:
            continue
        position = max(0, len(searched.rstrip()) - TRAILING_REACH) if pattern is _TRAILING else 0
        while (match := pattern.search(searched, position)) is not None:
            group = "loc" if match.start("loc") >= 0 else "bare"  # _LABELLED's place with no colon
            location = _clean(text, match.start(group), match.end(group), not went, pattern is _LABELLED)
            if bare and location is not None and _BARE_NOT.search(location.text):
                location = None
            if location is None or taken.find(1, location.start, location.end) >= 0:
                position = match.start() + 1
                continue
            found.append(location)
            taken[location.start : location.end] = b"\x01" * (location.end - location.start)
            if trace is not None:
                trace.location_patterns[location.start] = _PATTERN_NAMES[pattern]
            position = match.end(group)
    return sorted(found, key=lambda loc: loc.start)


def _clean(text: str, start: int, end: int, where: bool, labelled: bool = False) -> Location | None:
    while start < end and text[start] == MASK:  # "在[建平县实验中学，不对，是]喀左县第三中学"
        start += 1
    value = text[start:end]
    # "新华路商圈上", "活动现场内" — but 市三中 is a school
    if len(value) > 2 and value[-1] in "上中内里" and not (value[-1] == "中" and value[-2] in "一二三四五六七八九十"):
        value, end = value[:-1], end - 1
    if (several := _SEVERAL_PLACES.search(value)) and several.start() >= 2:
        value, end = value[: several.start()], end - len(several.group())  # 波罗赤镇、木头城子镇两个镇
    # 深入辖区企业, 到重点企业: a kind of place, not one place
    generic = value in _VAGUE or value.endswith("企业") or len(value) < 2
    # a digit opens a date or a count, not a place, unless it is a hotline's name (12309检察服务大厅)
    numbered = value[0].isdigit() and _HOTLINE.match(value) is None
    if generic or numbered or _NOT_A_PLACE.search(value) or "在" in value or _counted(value):
        return None
    return Location(value, start, end, where, labelled)


def _counted(value: str) -> bool:
    """Whether a count is written in ``value`` (asked last: its numbers are read only for a stretch
    that is otherwise a place). "友谊大街一家商场门口": 一家 is "a", no count."""
    return any(q.value != 1 or q.unit not in "家个所" for q in find_quantities(value))
