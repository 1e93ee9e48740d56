"""Which count field each number belongs to.

A number's unit says what it can be (份/册 → materials; 人/人次 → participants or
consultations; 篇/条 → articles; 家/户 → enterprises…) and the nearest deciding word before it
in its clause (else after it) says which: "解答企业咨询15人次" is consultations, "参训人员42人"
participants, "展示侵权样品30件" no materials (展示 is no handing out), "组织辖区15家企业开展培训"
no enterprises (only enterprises visited or guided count), "出动执法人员20人" nobody.
A deciding word already followed by a number decides that one only ("咨询70人次 群众400余人"), and
a staff noun right after a participation verb took part ("培训民警45名"). An edition with the
pieces counted right after it holds them ("专版1期，稿件6篇" is 6).
A number after 其中/包括 is a part of one already counted; one after 各 counts for each item
listed before it ("A、B分别刊播各1篇" is 2, "两个平台各1条" too). 个 counts people after a
people noun ("果农来了六十多个"), and nothing before a place or channel ("两个乡", "两个平台").
Within one activity the numbers of a field add up, unless one is a total (共/共计/累计/合计),
which then stands alone.
The deciding words and what each unit can count are in count_words; counts stated otherwise (a
label before a bare number, an issue published, companies named) in named_counts.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from handlers.parsing.count_words import (
    ARTICLE,
    CONSULT,
    HANDOUT,
    MEDIA_ONLY_UNITS,
    PARTICIPATE,
    PATTERNS,
    STAFF,
    UNIT_RULES,
    VISIT,
)
from handlers.parsing.keywords import PUBLISH_VERBS
from handlers.parsing.model import COUNT_FIELDS
from handlers.parsing.normalize import SPOKEN_JOINS
from handlers.parsing.numerals import CN_NUMERAL_CHARS, PEOPLE, Quantity, to_int
from handlers.parsing.positions import ByStart
from handlers.parsing.trace import Trace, because
from storage.vocabulary import ActivityType

# What may stand between a number and the staff noun it counts: "60名执业律师".
_MODIFIER = re.compile(r"[^，,。；;：:、\s\d]{0,8}")
# "组织执法人员对辖区10家商超开展上门指导": after 对/为/向/给 the number is the object of the
# verb that follows it, not of the verb before the preposition.
_PREPOSITION = re.compile(r"(?<![一针])对|(?<!作|成|认|以|称)为|(?<![面方])向|给")
_PART_OF = re.compile(r"\s*(?:其中|包括|含)")
# "另外给其中两家做了排查", "…指导其中2家企业完成备案": 其中 right before the number, wherever the
# clause opens, is a part of a number already counted.
_PART_OF_BEFORE = re.compile(r"其中(?:的|有)?\s*$")
# "共计120人次", "全天共计接待46人次": a total, with or without the verb after it.
_TOTAL = re.compile(
    r"(?:共|共计|累计|合计|总计|总共|一共)\s*(?:约|近|达)?\s*"
    # "到今天共推了四篇": the verb may be a short one, done (了)
    r"(?:接待|发放|吸引|覆盖|走访|推送|推|发布|发|培训|服务|解答|受理)?了?\s*(?:各类|群众|宣传)?\s*(?:资料)?\s*$"
)
# "一位参观的市民说", "一名摊主表示", "在一家新能源企业，法官…", "一家化工企业负责人表示": one of those
# already counted, speaking or shown as an example, is no count of its own.
_ONE_OF_THEM = re.compile(
    # "有一家是做荆条蜜的", "一个是…再一个是…": one of those counted, or a spoken enumeration
    r"(?<=一)(?:个|家|位|名|户)(?=就?是(?!否))|"
    r"(?<=一)(?:位|名)[^，,。；;！!？?“”\n]{0,12}?(?:说|表示|坦言|感慨|告诉|介绍说|笑着说)"
    r"|(?<=一)家[^，,。；;！!？?\n]{0,12}?(?:负责人|老板|经理)?(?:说|表示|坦言|感慨|告诉)"
    r"|(?<=一)家[^，,。；;！!？?\n]{0,12}?(?:企业|公司)[，,]"
)
_ONE_OF_THEM_BEFORE = re.compile(r"(?:在|其中)\s*$")
# "原计划发放500份，实际发放320份": what was planned is not what was done.
_PLANNED = re.compile(r"原计划|原定|原本")
# A spoken connective typed without punctuation ends a clause as a comma would (see splitting).
_CLAUSE = re.compile(rf"[^，,；;。！!？?\n（）()]+?(?=[，,；;。！!？?\n（）()]|{SPOKEN_JOINS}|$)")
# How far either side of a number its clause is read (see attribute).
_REACH = 120
_SENTENCE = re.compile(r"[^；;。！!？?\n]+")
_PIECE_UNITS = ("篇", "条", "则")
_PUBLISHING = re.compile("|".join(PUBLISH_VERBS))
_ENTERPRISE_NOUN = re.compile(r"\s*\w{0,4}?(?:企业|公司|商户|合作社|厂|单位)")
_ENTERPRISE_BEFORE = re.compile(r"(?:企业|公司|商户|合作社|厂)\s*$")
# "照片刚才发了三张": photos sent to the bot are no handouts.
_PHOTO = re.compile("照片|图片|相片")
_POSTER = re.compile("海报|长图|图文|漫画")
# "果农来了六十多个", "学生五十个": 个 after a people noun counts people.
_PEOPLE_BEFORE = re.compile(rf"(?:{'|'.join(PEOPLE)})(?:来了|有|约|共|到了|大概|大约|估计)?\s*$")
# "两个乡", "两个平台各1条": 个 before such a noun counts places or channels, never pieces.
_NOT_PIECES_AFTER = re.compile(
    "乡|镇|村|社区|街道|县|区|点|站|单位|部门|平台|渠道|账号|群|窗口|小组|组|方面|环节|问题|项目|班|批|行业|领域|学校"
    "|商场|超市|市场|广场|中学|小学|高校"
    # "分为…三个板块": parts of one thing
    "|板块|版块|单元|展区|阶段|部分"
)
# "全市38家文旅企业负责人参加": one person from each, the heads who came are the audience.
_HEADS_CAME = re.compile(
    rf"[^，,。；;\d{CN_NUMERAL_CHARS}]{{0,8}}?(?:负责人|法定代表人|法人代表|企业代表)(?:等)?(?:参加|参会|参训|出席|到场|听课)"
)
# "设了知识产权咨询服务专窗…，两天接待71人次": those received at a consultation desk came to ask.
_CONSULT_DESK = re.compile(r"咨询[^，,。；;\s]{0,4}?(?:台|点|站|窗口|专窗|服务台)")
# "评出一等奖10名": prize winners, not people reached.
_PRIZE_BEFORE = re.compile(r"(?:等奖|优秀奖|纪念奖)\s*$")
_HOUSEHOLDS_BEFORE = re.compile(r"(?:农户|住户|居民|村民|家庭|群众)\s*$")
_NOT_ENTERPRISES_AFTER = re.compile(r"(?:新闻)?媒体|成员单位|单位|部门|机关")
_ITEM_JOIN = re.compile("[、和及与]")
_EACH = re.compile(r"各(?:发了?|发放了?|推送了?|发布了?|刊发了?)?\s*$")
_N_ITEMS_EACH = re.compile(rf"(?P<n>[\d{CN_NUMERAL_CHARS}]+)个[\u4e00-\u9fff]{{1,4}}各\S{{0,3}}\s*$")


class Count(NamedTuple):  # not a frozen dataclass: made for every number attributed, ~3x cheaper
    field: str
    quantity: Quantity
    total: bool


def attribute(text: str, quantities: Iterable[Quantity], activity_type: str, trace: Trace | None = None) -> list[Count]:
    """The counts among ``quantities`` (found in ``text``, the masked message); ``trace`` records
    what decided each."""
    return list(_attributed(text, quantities, activity_type, trace))


def any_count(text: str, quantities: Iterable[Quantity], activity_type: str) -> bool:
    """Whether ``attribute`` finds a count among ``quantities``: it stops at the first (each number
    is decided by itself and the one before it, not by what the others were found to count)."""
    return next(_attributed(text, quantities, activity_type), None) is not None


def _attributed(
    text: str, quantities: Iterable[Quantity], activity_type: str, trace: Trace | None = None
) -> Iterator[Count]:
    ordered = tuple(quantities)
    # Looked up by position only for an edition's pieces: made for the first edition (most
    # messages have none; a ByStart per call was ~1 us, three calls a report).
    by_start: ByStart[Quantity] | None = None
    for index, quantity in enumerate(ordered):
        whole_clause = _clause_around(text, quantity.start)
        part_of = _PART_OF.match(text, whole_clause[0]) or _PART_OF_BEFORE.search(text, whole_clause[0], quantity.start)
        if part_of:
            continue
        if quantity.unit in MEDIA_ONLY_UNITS:
            by_start = ByStart(ordered) if by_start is None else by_start
            if _is_edition(text, quantity, by_start):
                continue
        if _is_one_of_them(text, quantity):
            continue
        # What decides a number is near it: looking no further than _REACH either side keeps a
        # long clause full of numbers linear (the corpus's longest clause is 74 characters).
        clause = (max(whole_clause[0], quantity.start - _REACH), min(whole_clause[1], quantity.end + _REACH))
        if _PLANNED.search(text, clause[0], quantity.start):
            continue
        # A deciding word before an earlier number of the clause was that number's: in
        # "咨询七十人次 群众四百余人" 咨询 says nothing about the 400.
        earlier = ordered[index - 1].end if index and ordered[index - 1].end > clause[0] else clause[0]
        field = _field(text, (earlier, clause[1]), quantity, activity_type, trace)
        if field in COUNT_FIELDS:
            total = _TOTAL.search(text, clause[0], quantity.start) is not None
            yield Count(field, _each(text, clause, quantity), total)


def _is_one_of_them(text: str, quantity: Quantity) -> bool:
    """ "一位市民说", "在一家企业，…": one of the people or enterprises counted, quoted or shown."""
    if quantity.value != 1 or text[quantity.start] != "一":
        return False
    match = _ONE_OF_THEM.match(text, quantity.start + 1)
    if match is None:
        return False
    # "在一家电子科技企业，检察官…" is an example; "走访一家企业，" a visit.
    return (
        not match.group().endswith(("，", ","))
        or _ONE_OF_THEM_BEFORE.search(text, max(0, quantity.start - 4), quantity.start) is not None
    )


def _is_edition(text: str, quantity: Quantity, quantities: ByStart[Quantity]) -> bool:
    """ "专版1期，稿件6篇": the edition (a quantity in MEDIA_ONLY_UNITS) holds the pieces counted
    right after it in its sentence ("问答1期，在官网发布信息2条" are two publications)."""
    end = min(_sentence_around(text, quantity.start)[1], quantity.end + _REACH)
    pieces = next((q for q in quantities.within(quantity.end, end) if q.unit in _PIECE_UNITS), None)
    return pieces is not None and _PUBLISHING.search(text, quantity.end, pieces.start) is None


def _each(text: str, clause: tuple[int, int], quantity: Quantity) -> Quantity:
    """ "公众号、电视台分别刊播报道各1篇": 各 counts once for every item listed before it, or as
    many times as the items are counted ("两个平台各1条" is 2)."""
    if _EACH.search(text, clause[0], quantity.start) is None:
        return quantity
    counted = _N_ITEMS_EACH.search(text, clause[0], quantity.start)
    joins = len(_ITEM_JOIN.findall(text, clause[0], quantity.start))  # 官网和公众号各发布了1条
    listed = (to_int(counted.group("n")) if counted else None) or joins + 1
    return quantity._replace(value=quantity.value * listed)


def totals(counts: Iterable[Count]) -> tuple[dict[str, int], frozenset[str]]:
    """Per field: the stated total if any, else the sum; and the fields stated approximately."""
    by_field: dict[str, list[Count]] = {}
    for count in counts:
        by_field.setdefault(count.field, []).append(count)
    values: dict[str, int] = {}
    approximate: set[str] = set()
    for field, items in by_field.items():
        stated_totals = [c for c in items if c.total]
        chosen = stated_totals or items
        values[field] = (max if stated_totals else sum)(c.quantity.value for c in chosen)
        if any(c.quantity.approximate for c in chosen):
            approximate.add(field)
    return values, frozenset(approximate)


def _sentence_around(text: str, position: int) -> tuple[int, int]:
    return _run_around(_sentence_runs(text), position)


def _clause_around(text: str, position: int) -> tuple[int, int]:
    return _run_around(_clause_runs(text), position)


# Found once per message, not per number; cached by the text alone (a compiled pattern in the key
# would hash its whole program on every lookup).
@lru_cache(maxsize=4)
def _sentence_runs(text: str) -> tuple[list[int], list[int]]:
    return _runs(_SENTENCE, text)


@lru_cache(maxsize=4)
def _clause_runs(text: str) -> tuple[list[int], list[int]]:
    return _runs(_CLAUSE, text)


def _runs(pattern: re.Pattern[str], text: str) -> tuple[list[int], list[int]]:
    """Starts and ends of ``pattern``'s matches in ``text``."""
    spans = [match.span() for match in pattern.finditer(text)]
    return [start for start, _ in spans], [end for _, end in spans]


def _run_around(runs: tuple[list[int], list[int]], position: int) -> tuple[int, int]:
    starts, ends = runs
    index = bisect_right(starts, position) - 1
    if index >= 0 and position < ends[index]:
        return starts[index], ends[index]
    return position, position


# "60余名知识产权工作人员": what kind of staff, between the number and the staff noun.


def _field(
    text: str, clause: tuple[int, int], quantity: Quantity, activity_type: str, trace: Trace | None = None
) -> str | None:
    unit = quantity.unit
    if unit == "个" and _NOT_PIECES_AFTER.match(text, quantity.end):
        return None
    if _PRIZE_BEFORE.search(text, clause[0], quantity.start):
        return None
    if unit == "个" and _PEOPLE_BEFORE.search(text, clause[0], quantity.start):
        unit = "人"
    if unit == "家" and _HEADS_CAME.match(text, quantity.end):
        if trace is not None:
            trace.count_rules[quantity.start] = because("the heads of that many came (_HEADS_CAME)")
        return PARTICIPATE
    categories, default = UNIT_RULES.get(unit, ((), None))
    if not categories:
        return None
    pattern = PATTERNS[categories]
    before = list(pattern.finditer(text, clause[0], quantity.start))
    after = pattern.search(text, quantity.end, clause[1])
    decided = before[-1] if before else after
    # "培训民警45名", "培训律师20人": the staff noun right after a participation verb is who took part.
    if len(before) > 1 and before[-1].lastgroup == STAFF and before[-2].lastgroup == PARTICIPATE:
        decided = before[-2] if before[-2].end() == before[-1].start() else decided
    if before and after and _PREPOSITION.search(text, before[-1].end(), quantity.start):
        decided = after
    # "律师和企业法务人员40人参加": a participation verb right after the number says who came,
    # and so does one right after a staff noun there ("60名民警参加", "60名执业律师参加",
    # "60余名知识产权工作人员参加培训").
    # Not when a consulting word runs right into the number: in "解答咨询80人次参加活动群众300余人"
    # (counts typed without punctuation) 参加 opens the next count.
    consulted = bool(before) and before[-1].lastgroup == CONSULT and quantity.start - before[-1].end() <= 2
    if after and after.lastgroup == PARTICIPATE and after.start() == quantity.end and not consulted:
        decided = after
    elif after and after.lastgroup == STAFF and _MODIFIER.fullmatch(text, quantity.end, after.start()):
        joined = pattern.match(text, after.end())
        decided = joined if joined is not None and joined.lastgroup == PARTICIPATE else decided
    if (
        decided is not None
        and decided.group() == "接待"
        and _CONSULT_DESK.search(
            text, max(_sentence_around(text, quantity.start)[0], decided.start() - _REACH), decided.start()
        )
    ):
        if trace is not None:
            trace.count_rules[quantity.start] = because("received at a consultation desk (_CONSULT_DESK)", "接待")
        return CONSULT
    if decided is not None:
        category = decided.lastgroup
    elif unit in ("家", "户") and activity_type == ActivityType.VISIT:
        category = VISIT
    elif unit in ("个", "件", "期", "部", "集") and activity_type == ActivityType.MEDIA:
        category = ARTICLE
    else:
        category = default
    if category == ARTICLE and unit in MEDIA_ONLY_UNITS and activity_type != ActivityType.MEDIA:
        return None
    if category == VISIT and unit == "件":
        return None  # 指导注册商标2件: things, not enterprises
    if category == VISIT and _NOT_ENTERPRISES_AFTER.match(text, quantity.end):
        return None  # 6家新闻媒体到场报道, 18家成员单位
    if category == VISIT and unit == "户" and _HOUSEHOLDS_BEFORE.search(text, clause[0], quantity.start):
        return None  # 走访农户56户: households, not enterprises
    if unit == "次" and decided is after and after is not None:
        return None  # "各举办了一次知识产权法律咨询日": sessions; 咨询40余次 has its word first
    # 深入3个村: places, not enterprises ("走访合作社2个", "3个企业" are)
    if category == VISIT and unit == "个":
        noun_after = _ENTERPRISE_NOUN.match(text, quantity.end) is not None
        if not noun_after and not _ENTERPRISE_BEFORE.search(text, clause[0], quantity.start):
            return None
    if category == HANDOUT and unit == "张" and _PHOTO.search(text, clause[0], clause[1]):
        return None
    # "公众号转了主题海报一张": a poster posted is a piece published, not a handout.
    if category == HANDOUT and unit == "张" and activity_type == ActivityType.MEDIA and _POSTER.search(text, *clause):
        if trace is not None:
            trace.count_rules[quantity.start] = because("a poster posted in a media activity (_POSTER)")
        return ARTICLE
    if trace is not None and category in COUNT_FIELDS:
        trace.count_rules[quantity.start] = (
            because(f"deciding word ({decided.lastgroup})", decided.group())
            if decided is not None
            else because(f"no deciding word: {unit} in a {activity_type} activity counts {category}")
        )
    return category if category in COUNT_FIELDS else None
