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
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from handlers.parsing.keywords import PUBLISH_VERBS
from handlers.parsing.model import COUNT_FIELDS
from handlers.parsing.normalize import MASK, SPOKEN_JOINS
from handlers.parsing.numerals import CN_NUMERAL_CHARS, COUNT_UNITS, PEOPLE, PEOPLE_NOUNS, Quantity, to_int
from handlers.parsing.positions import ByStart
from handlers.parsing.trace import Trace, because
from storage.vocabulary import ActivityType, CountKind

CONSULT, PARTICIPATE, STAFF, HANDOUT, NOT_HANDOUT, ARTICLE, NOT_ARTICLE, VISIT, NOT_VISIT = (
    CountKind.CONSULTATIONS,
    CountKind.PARTICIPANTS,
    "staff",
    CountKind.MATERIALS,
    "not_materials",
    CountKind.ARTICLES,
    "not_articles",
    CountKind.ENTERPRISES,
    "not_enterprises",
)
_WORDS: dict[str, str] = {
    # 咨询台5个 counts desks, not people asking
    # 资讯/咨训/资询: what phones make of 咨询
    CONSULT: "咨询(?![台点站桌处])|资讯|咨训|资询|答疑|解答|解疑|释疑|问询|解惑|提问|询问|问的|来问",
    PARTICIPATE: "参与|参加|参观|参会|参训|受训|参赛|受众|覆盖|来了|到场|旁听|观看|听课|吸引|受益|听取|观展"
    "|培训|接待|出席|聆听|收看|到会|辐射|惠及|来访",
    # "授课学生200人": an audience right after 授课 is who was taught, not who taught.
    # "调研组一行4人": who went, not who was reached
    # "我办2名同志参加了启动仪式": the unit's own people
    STAFF: "工作人员|执法人员|专家|(?<!听)讲师|律师|志愿者|法官|检察官|民警|出动|派出|抽调|选派|一行|嫌疑人|抓获|去了"
    "|我局|我办|我院|我委|我单位"
    "|授课(?!学生|师生|学员|群众|听众|村民|居民|职工|干部)",
    HANDOUT: "发放|发方|派发|分发|赠送|赠阅|送出|发出|散发|印制|印发|发了|提供|资料|手册|折页|宣传品|宣传册"
    "|汇编|读本|单页|明白纸|彩页|宣传页|画册|宣传袋|环保袋|纪念品|问卷|传单",
    # 代写法律文书三份: documents written for people, not handed out
    # 点赞126个: reactions to a post, not pieces or handouts
    # (posters put up, 张贴海报200张, are materials like those handed out: the corpus counts them)
    NOT_HANDOUT: "展出|展示|悬挂|摆放|布置|陈列|收集|收到|受理|签订|填写|回收|征集|查扣|查获|扣留|代写|起草"
    "|制发|建议|点赞|收藏|评论|播放量|阅读量|浏览量"
    "|办理|审理|展板|横幅|标语|条幅|案件|样品|制作|设置|播放|证书|展品",
    ARTICLE: "推送|发布|刊发|刊登|报道|转载|播出|播发|发表|推文|文章|信息|稿件|视频|专栏|案例|编发"
    "|撰写|简报|动态|新闻|微博|帖",
    # 阅读1.5万次, 浏览量: how often pieces were read, not pieces
    # "补充一条：…专题信息1篇": one more message, not a piece published
    NOT_ARTICLE: "横幅|标语|条幅|建议|意见|线索|问题|热线|措施|举措|条款|阅读|浏览|点击|点赞|播放量|转发量|评论"
    "|留言|弹幕|补充|补报|再报",
    VISIT: "走访|走进|深入|上门|入企|实地|(?<![收达得受看做识意提遇感找想])到(?!场|会)|赴|指导|辅导|帮扶|服务|调研|跑了"
    "|走了|挨家|对接|检查|巡查|摸排|联系|覆盖",
    NOT_VISIT: "组织|邀请|召集|参训|参展|参会|参加|参与|培训|吸引",
}
# What may stand between a number and the staff noun it counts: "60名执业律师".
_MODIFIER = re.compile(r"[^，,。；;：:、\s\d]{0,8}")
# Units that count pieces published only in a media activity: "节目1期", "报道2次" are articles,
# "培训班一期", "宣传3次" are not (次 only with a publishing word: "阅读量8000次" is none).
_MEDIA_ONLY_UNITS = ("期", "部", "集", "次")
# What each unit can count, the deciding words it listens to, and its field when none decides.
_UNIT_RULES: dict[str, tuple[tuple[str, ...], str | None]] = {
    **dict.fromkeys(
        ("人次", "家次", "户次", "人", "名", "位", *PEOPLE_NOUNS), ((CONSULT, PARTICIPATE, STAFF), PARTICIPATE)
    ),
    **dict.fromkeys(("份", "册", "本", "张", "套", "把"), ((HANDOUT, NOT_HANDOUT), HANDOUT)),
    **dict.fromkeys(("件", "个", "袋", "盒"), ((HANDOUT, NOT_HANDOUT, ARTICLE, CONSULT, VISIT), None)),
    **dict.fromkeys(("篇", "条", "则"), ((ARTICLE, NOT_ARTICLE, CONSULT), ARTICLE)),
    **dict.fromkeys(_MEDIA_ONLY_UNITS, ((ARTICLE, NOT_ARTICLE, CONSULT), None)),
    # 二六集 is a market day; 集 only ever counts episodes
    "集": ((ARTICLE, NOT_ARTICLE), None),
    **dict.fromkeys(("家", "户"), ((VISIT, NOT_VISIT), None)),
    # "接受企业咨询15家次": enterprises served so many times, counted as what was done for them
    **dict.fromkeys(("家次", "户次"), ((CONSULT, VISIT, NOT_VISIT), None)),
}
_PATTERNS = {
    tuple(cats): re.compile("|".join(f"(?P<{cat}>{_WORDS[cat]})" for cat in cats)) for cats, _ in _UNIT_RULES.values()
}
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
# "参与人数：120", "发放资料 500", "咨询30": a field label, then a number with no unit.
_LABELLED = re.compile(
    r"(?P<key>咨询的人有|的人有|的人(?=估计)|参与人数|参加人数|参训人数|参会人数|受众人数|覆盖人数|受众|人数|咨询人数|咨询量|咨询|答疑"
    r"|发放资料|发放宣传资料|资料|宣传单|传单|走访企业|企业数|文章|推送|学生|群众|听众|观众|师生|村民|居民|市民|游客"
    r"|问的人有|问的人|问的农户|问的"
    # "发了600", "资料发出去四百五": handing out, the unit left off
    r"|发了|发出去|发放了)"
    r"[\s:：|]*(?:发了|发出去|发放了?)?(?:为|达|共|约|近|有|得有|大概|大约|估计有?|估么得有)?\s*"
    rf"(?P<num>\d+(?:\.\d+)?[万千kK]?|[{CN_NUMERAL_CHARS}]{{2,}})(?P<more>余|多|\+|上下|左右|好几)?"
    rf"(?![\d.{CN_NUMERAL_CHARS}余多几来]|,\d{{3}}|[\s|]*(?:{'|'.join(COUNT_UNITS)}|月|日|号|年|天|小时|遍|趟|轮|届|岁|点|:|：))"
)
_LABEL_FIELD = {
    **{"咨询": CONSULT, "答疑": CONSULT, "资料": HANDOUT, "企业": VISIT, "文章": ARTICLE, "推送": ARTICLE},
    **dict.fromkeys(("传单", "发了", "发出去", "发放了"), HANDOUT),
    **dict.fromkeys(("问的人有", "问的人", "问的农户", "问的"), CONSULT),
}
_ENTERPRISE_NOUN = re.compile(r"\s*\w{0,4}?(?:企业|公司|商户|合作社|厂|单位)")
_ENTERPRISE_BEFORE = re.compile(r"(?:企业|公司|商户|合作社|厂)\s*$")
# "照片刚才发了三张": photos sent to the bot are no handouts.
_PHOTO = re.compile("照片|图片|相片")
_POSTER = re.compile("海报|长图|图文|漫画")
_TO_COMPANY = re.compile(r"(?:到|去|赴|走进|深入)(?=[^，。；,;]{2,25}?(?:公司|集团|厂|合作社))")
# "走进苗木种植合作社和农户": a kind of audience, with the farmers, not companies named.
_AUDIENCE_CLASS = re.compile(r"(?:公司|企业|厂|合作社)[和及与、](?:农户|村民|居民|群众|种植户|养殖户|果农|菜农|社员)")
_ISSUE_PUBLISHED = re.compile(
    rf"(?:{'|'.join(PUBLISH_VERBS)})[^，,；;。\n]{{0,20}}第[\d{CN_NUMERAL_CHARS}]{{1,3}}(?:期|集|讲|篇)"
    # "推送了《植物新品种保护知多少》一文"
    rf"|(?:{'|'.join(PUBLISH_VERBS)})了?[^，,；;。\n]{{0,6}}《[^》]{{1,40}}》一文"
    # "转发一下我们公众号今天的推文 https://mp.weixin.qq.com/s/…": the link to one article
    r"|mp\.weixin\.qq\.com/s"
)
_COMPANY = re.compile(
    r"[\u4e00-\u9fffA-Za-z0-9（）()]{2,30}?(?:有限责任公司|股份有限公司|有限公司|公司|集团(?!有限|股份)|厂|合作社)"
)

# What a company match may carry before the name itself ("走进A公司", "在A公司").
_NAME_LEAD = re.compile("在|到|走进|深入|走访了?|来到|前往|和|与|及|、")
# "到康泰药业、华锦制药走访": a list of names between the movement and the visit verb.
_NAME_LIST = re.compile(
    rf"(?:到|赴|走访了?|走进|前往)(?P<names>[^\s，,；;。、{MASK}]{{2,15}}?(?:、[^\s，,；;。、{MASK}]{{2,15}}?)+)"
    r"(?=走访|调研|考察|上门|开展|进行|指导|了解|[，,；;。]|$)"
)
# Items that are places or already counted ("朝阳县、建平县4家企业") are no company names.
_PLACE_NAME = re.compile(r"(?:省|市|县|区|镇|乡|村|街道|社区|园区|开发区|广场|中心|学校|医院|\d|等)$")
_COUNTED = re.compile(rf"[\d{CN_NUMERAL_CHARS}]+\s*[家户个]")
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


@dataclass(frozen=True)
class Count:
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
    ordered = ByStart(quantities)
    for index, quantity in enumerate(ordered):
        whole_clause = _clause_around(text, quantity.start)
        part_of = _PART_OF.match(text, whole_clause[0]) or _PART_OF_BEFORE.search(text, whole_clause[0], quantity.start)
        if part_of or _is_edition(text, quantity, ordered):
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
    """ "专版1期，稿件6篇": the edition holds the pieces counted right after it in its sentence
    ("问答1期，在官网发布信息2条" are two publications)."""
    if quantity.unit not in _MEDIA_ONLY_UNITS:
        return False
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
    return replace(quantity, value=quantity.value * listed)


def labelled_quantities(text: str, start: int, end: int) -> list[tuple[CountKind, Quantity]]:
    """Numbers written as "label number" with no unit, with the field their label names."""
    found: list[tuple[CountKind, Quantity]] = []
    for match in _LABELLED.finditer(text, start, end):
        value = to_int(match.group("num"))
        if value is None:
            continue
        key = match.group("key")
        field = next((f for word, f in _LABEL_FIELD.items() if word in key), PARTICIPATE)
        approximate = bool(match.group("more")) or any(w in match.group() for w in ("约", "近"))
        found.append((field, Quantity(value, approximate, "", match.start("num"), match.end())))
    return found


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


def published_issue(text: str) -> bool:
    """ "公众号推出“知识产权小课堂”第3期", a 公众号 article's link: one piece published, though no count is written."""
    return _ISSUE_PUBLISHED.search(text) is not None


def companies_visited(text: str, kind: str) -> int:
    """Companies named count as enterprises on a visit, or wherever the work went to one
    ("到朝阳天翼新能源公司发放宣传资料" is publicity at one enterprise, "走进苗木种植合作社和农户" to a
    kind of audience)."""
    if kind == ActivityType.VISIT:
        return named_companies(text)
    went = _TO_COMPANY.search(text) is not None and _AUDIENCE_CLASS.search(text) is None
    return named_companies(text) if went else 0


def named_companies(text: str) -> int:
    """How many companies a clause lists by name (到燕山湖发电公司、重型机器公司走访 → 2, 到康泰药业、
    华锦制药走访 → 2: names listed after the movement, whatever they end in, unless places)."""
    listed = max((_listed_names(match.group("names")) for match in _NAME_LIST.finditer(text)), default=0)
    # "走进A公司和B公司…在A公司，专家…": a company named again is the same company.
    names = {_NAME_LEAD.split(name)[-1] for name in _COMPANY.findall(text)}
    return max(len(names), listed)


def _listed_names(names: str) -> int:
    items = names.split("、")
    if any(_PLACE_NAME.search(item) or _COUNTED.search(item) for item in items):
        return 0
    return len(items)


def _sentence_around(text: str, position: int) -> tuple[int, int]:
    return _run_around(_runs(_SENTENCE, text), position)


def _clause_around(text: str, position: int) -> tuple[int, int]:
    return _run_around(_runs(_CLAUSE, text), position)


@lru_cache(maxsize=8)
def _runs(pattern: re.Pattern[str], text: str) -> tuple[list[int], list[int]]:
    """Starts and ends of ``pattern``'s matches in ``text``: found once per message, not per number."""
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
    categories, default = _UNIT_RULES.get(unit, ((), None))
    if not categories:
        return None
    pattern = _PATTERNS[categories]
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
    if category == ARTICLE and unit in _MEDIA_ONLY_UNITS and activity_type != ActivityType.MEDIA:
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
