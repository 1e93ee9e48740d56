"""Counts a message states other than as a number with a unit the attribution decides.

A field label before a bare number ("参与人数：120", "发放资料 500", "发了600"), an issue or an
article published though no count is written ("推出…第3期", a 公众号 article's link), and the
companies a visit went to, named by name ("到燕山湖发电公司、重型机器公司走访" is 2).
"""

from __future__ import annotations

import re

from handlers.parsing.count_words import ARTICLE, CONSULT, HANDOUT, PARTICIPATE, VISIT
from handlers.parsing.keywords import PUBLISH_VERBS
from handlers.parsing.normalize import MASK
from handlers.parsing.numerals import CN_NUMERAL_CHARS, COUNT_UNITS, Quantity, to_int
from storage.vocabulary import ActivityType, CountKind

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
