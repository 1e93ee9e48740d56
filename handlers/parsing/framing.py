"""What in a report is not an activity done: plans, recaps and a write-up's framing.

- A copied write-up's apparatus (来源：…, 发布时间：…, （编辑：… 审核：…）, 附图：…, 【转自…】, 本报讯（记者…）)
  is masked first: its dates and words are about the posting, not the activity; so is a bracket
  breaking down the count before it ("1500份（20日500份、21日600份…）").
- A plan clause ("明天还要去宝国老镇大集", "下午准备去开发区再走3家", "后续还将走访5家",
  "三、下一步打算 我局将持续开展…") is masked out when the rest of the message reports something
  done, with the clauses of its sentence that follow it and state no date of their own. A message
  that is all plan stays as written (the reader keeps it with a note asking to confirm the date).
  Items under a plan heading ("待开展：", "下一步安排：") are plans up to a heading of work done
  ("已完成："); a schedule sent ahead (a plan heading, every day still to come) is no report.
- A recap ("据统计，宣传周期间共发放资料1200份…", "以上活动累计…", "此次活动共…", "一周下来…", a
  sentence opening with 共计/累计/合计) restates the items above it;
  it is masked when the message itemises two or more dated activities, so nothing is counted
  twice.
- Other units' work alongside ("同日，各县（市）区局同步开展集中宣传…") is masked like a plan: the
  bound sender reports only its own.
- After splitting, framing segments are dropped (see ``is_framing``): a title or an opening
  sentence ("宣传周期间，我局先后开展了集中宣传、企业走访等活动") before the first dated item,
  and an umbrella span ("我局于4月20日至24日开展了系列宣传活动") over items dated inside it.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from collections.abc import Sequence

from handlers.parsing.articles import article_spans
from handlers.parsing.date_finders import DateMention
from handlers.parsing.keywords import find_triggers
from handlers.parsing.normalize import MASK, SENTENCE_ENDS, mask, opens_with
from handlers.parsing.numerals import find_quantities

# Searched in every clause of every report: the lookahead lets only the characters a cue opens with
# try its ~40 alternatives (their lookbehinds keep re from skipping ahead by itself).
_PLAN_CUE = re.compile(
    opens_with("计准打拟预定下还将后届到明正抓积筹日号")
    + r"(?:(?<![按原])计划(?!内)|(?<!精心|提前|充分|认真)准备(?!了|好|工作|的)|打算"
    r"|(?<![草家户])拟(?!派|定|参加|出席)|预计"
    r"|定于|定在|下一步|还要|还将|将要|将于|将在|后续|届时|到时候|明天|明日|后天|明后|下周"
    r"|将(?:继续|持续|进一步|积极|加大|深入|开展|举办|组织|走访|推送|陆续|联合|会同|把|围绕|面向|召开|启动|推出)"
    r"|(?:正在|正|抓紧|积极)筹备|筹备中"
    # "总结按要求28日前报送": a deadline is still ahead
    r"|[日号](?:之)?前(?:报送|上报|提交|报))"
)
# A heading over items still to come ("待开展：", "下一步安排：", "我院宣传周活动安排：") and one over
# items done ("已完成：", "开展情况："): the items under the first are plans, up to the next heading
# of the second. Bounded reaches on one line: linear.
_PLAN_HEADING = re.compile(
    r"(?m)^[^\n：:]{0,16}(?:待开展|未开展|尚未开展|计划开展|拟开展|将开展|下一?步(?:计划|打算|安排)"
    r"|后续(?:计划|安排)|近期安排|活动安排|工作安排|日程安排)[^\n：:]{0,6}[：:][ \t]*$"
)
_DONE_HEADING = re.compile(
    r"(?m)^[^\n：:]{0,16}(?:已完成|已开展|已经开展|已举办|完成情况|开展情况)[^\n：:]{0,6}[：:][ \t]*$"
)
_CLAUSE = re.compile(r"[^，,；;。！!？?\n]+")
_DONE = re.compile(r"了|已|完成")
# "分日：", "分天看：", "具体如下——", a line opening with "——": the detail of a total before it.
_DETAIL_MARKER = re.compile(r"(?:分日|分天看|分天|具体如下|具体情况如下|明细如下)[：:—\-]*|(?<=\n)\s*+——")
# Every detail marker has one of these: a message without any is not searched.
_DETAIL_MARKER_NEEDS = ("分日", "分天", "如下", "——")
_TOTAL_WORD = re.compile(r"一共|共计|合计|累计|总计|共(?:发放|走访|接待|举办|开展)")
# Linear: tried only where a piece between delimiters starts (a later start in the piece could
# only match if its start did); the first total word is as good as any later one (atomic); a
# numeral run is taken whole (no unit is a numeral).
_TOTAL_THEN_PARTS = re.compile(
    r"(?<![^。；;\n：:])(?>[^。；;\n：:]*?(?:一共|共计|合计|累计))"
    r"[^。；;\n：:]*?(?<![\d一二三四五六七八九十百千万])[\d一二三四五六七八九十百千万]++\s*(?:份|册|人次|人|家|篇|条)[：:]"
)
_TOTAL_THEN_PARTS_NEEDS = ("一共", "共计", "合计", "累计")
# "周二培训那场已经报了", "（23日的讲堂和答题已单独报过，不再列）": said before, not again.
# Reaches are bounded (a bracket, a clause) so a long run without a delimiter costs linear time;
# the corpus's longest clause is 74 characters.
_ALREADY_REPORTED = re.compile(
    r"[（(][^（）()\n]{0,100}?(?:已经?(?:单独)?报(?:过|了)|报过了)[^（）()\n]{0,100}[）)]"
    r"|[^。；;\n，,（(：:\s]{0,100}(?:已经?(?:单独)?报(?:过|了)|都报过了|报过了)[^。；;\n，,\s]{0,100}"
)
# Every alternative above has one of them: a message without any is not searched (the reach before
# the words costs up to 100 steps at every position of every report; 报 alone is in one in six).
_ALREADY_REPORTED_NEEDS = ("报过", "报了")
_RECAP = re.compile(
    r"(?:^|(?<=[。；;！!\n]))\s*+(?:据统计|据不完全统计|经统计|综上|总计|共计|累计|合计|以上活动|本次宣传周|此次宣传周"
    r"|宣传周期间[，,]?\s*(?:[我本全县市区][局委院办市县区]|我们)?\s*(?:共|累计|先后共|合计)"
    # "此次活动共发放宣传材料750余份", "一周下来，共…": the total of the items above
    r"|(?:此次|本次|这次)(?:宣传)?活动(?:期间)?[，,]?\s*(?:共|累计|合计)|(?:一周|宣传周)下来)[^。\n]*"
)


# "同日，各县（市）区知识产权局在辖区主要商圈同步开展集中宣传，…": other units' work alongside the
# sender's, told for the picture; the bound sender reports only its own.
_OTHERS_ALONGSIDE = re.compile(
    r"(?:^|(?<=[。；;！!\n]))\s*+(?:(?:同日|当日|当天|同时|与此同时)[，,]?\s*)?(?:全市|全县|全区)?各"
    r"[^，,。；;\n]{1,15}?(?:局|单位|部门|所|站|委|办)[^，,。；;\n]{0,20}?(?:同步|同时|也|分别)"
    r"(?:开展|组织|举办|进行)[^。\n]*"
)


# A copied write-up's apparatus: source, release time, editors, photo captions, a reprint's
# byline. "发布时间：2026-04-24" is when it was posted, "附图：座谈交流" a caption, not activities.
_APPARATUS = re.compile(
    r"(?:^|(?<=\n))[ \t]*(?:信息来源|来源|发布时间|发布日期|责任编辑|编辑|审核|审校|校对|供稿|撰稿|摄影|配图|附图\d*)"
    r"[:：][^\n]*"
    # "市发改委 发布日期：2026-04-25": the posting account before its release line.
    r"|(?:^|(?<=\n))[ \t]*[^\s，。；:：]{1,20}[ \t\u3000]+(?:信息来源|来源|发布时间|发布日期)[:：][^\n]*"
    r"|[（(](?:责任编辑|编辑|审核|供稿|撰稿|摄影)[:：][^）)\n]{0,200}[）)]"
    r"|【转自[^】\n]{0,200}】|本报讯(?:[（(][^）)\n]{0,200}[）)])?"
)
# Every match has one of these (a label's colon, a reprint's or a news lead's words): a message
# without any is not searched (its line-start alternatives are tried at every position).
_APPARATUS_NEEDS = (":", "：", "【转自", "本报讯")


# Corrected as they typed: "在建平县实验中学，不对，是喀左县第三中学", "去了2家企业，哦不是3家".
# The count taken back keeps its noun, which the right count still needs ("2家企业" → "企业…3家").
_SELF_CORRECTED = re.compile(
    r"(?P<said>(?<=[在于到赴去])[^，,。；;\s]{2,20}[，,]\s*(?:不对|说错了|错了)[，,]?\s*(?:是|应该是|应为))"
    r"|(?P<number>(?<![\d一二三四五六七八九十两])[\d一二三四五六七八九十两]++\s*[家份人个张名])[\u4e00-\u9fff]{0,4}"
    r"(?P<taken_back>[，,]\s*(?:哦|噢|呃)?\s*不是)(?=\s*[\d一二三四五六七八九十两])"
)
# Every match has one of these: a message without any is not searched (most are not corrected).
_SELF_CORRECTED_NEEDS = ("不对", "错了", "不是")


def apparatus_spans(text: str) -> list[tuple[int, int]]:
    """The apparatus of a copied write-up, and what its writer took back while typing."""
    reported = any(word in text for word in _ALREADY_REPORTED_NEEDS)
    labelled = any(word in text for word in _APPARATUS_NEEDS)
    patterns = (*((_APPARATUS,) if labelled else ()), *((_ALREADY_REPORTED,) if reported else ()))
    spans = [match.span() for pattern in patterns for match in pattern.finditer(text)]
    corrected = any(word in text for word in _SELF_CORRECTED_NEEDS)
    for match in _SELF_CORRECTED.finditer(text) if corrected else ():
        spans += [match.span(group) for group in ("said", "number", "taken_back") if match.group(group)]
    return spans


_BRACKET = re.compile(r"[（(][^（）()\n]{2,60}[）)]")


def breakdown_spans(text: str) -> list[tuple[int, int]]:
    """Brackets right after a count that break it down ("累计发放资料1500份（20日500份、21日600份…）"):
    their days and numbers are parts of what is already counted."""
    brackets = list(_BRACKET.finditer(text))
    if not brackets:
        return []  # most reports: no need to find their counts for this
    ends = {quantity.end for quantity in find_quantities(text)}
    return [match.span() for match in brackets if match.start() in ends and find_quantities(match.group())]


def _planned_sections(text: str) -> list[tuple[int, int]]:
    """From each plan heading to the next heading of work done (or the end)."""
    if "：" not in text and ":" not in text:
        return []  # every heading ends in a colon
    done = [match.start() for match in _DONE_HEADING.finditer(text)]
    spans = []
    for heading in _PLAN_HEADING.finditer(text):
        after = bisect_left(done, heading.end())
        spans.append((heading.start(), done[after] if after < len(done) else len(text)))
    return spans


def is_schedule(text: str, dates: Sequence[DateMention], today: dt.date) -> bool:
    """A schedule sent ahead ("我院宣传周活动安排：4月21日…4月23日…"): a plan heading, no heading of
    work done, and every day written still to come. Nothing in it is an activity yet."""
    return (
        bool(dates)
        and all(min(d.days) > today for d in dates)
        and _PLAN_HEADING.search(text) is not None
        and _DONE_HEADING.search(text) is None
    )


def plan_spans(text: str, dates: Sequence[DateMention]) -> list[tuple[int, int]]:
    """The [start, end) spans of ``text`` that are plans, not activities done."""
    spans: list[tuple[int, int]] = _planned_sections(text)
    in_plan = False
    date_starts = sorted(d.start for d in dates)
    # The cues of the whole text in one scan: a cue holds no clause delimiter and its guards look at
    # no delimiter, so the first cue starting in a clause is the one a search of the clause finds.
    cues = _PLAN_CUE.finditer(text)
    cue = next(cues, None)
    for clause in _CLAUSE.finditer(text):
        start, end = clause.span()
        if start > 0 and text[start - 1] in SENTENCE_ENDS:
            in_plan = False
        first_date = bisect_left(date_starts, start)
        dated = first_date < len(date_starts) and date_starts[first_date] < end
        while cue is not None and cue.start() < start:
            cue = next(cues, None)
        if cue is not None and cue.start() < end and not _DONE.search(text, cue.end(), end):
            in_plan = True
        elif dated:
            in_plan = False
        if in_plan:
            spans.append((start, end))
    return spans


def recap_spans(text: str, dates: Sequence[DateMention]) -> list[tuple[int, int]]:
    """Recap sentences, when the message also itemises two or more dated activities; and a total
    stated before its own breakdown ("…合计发放资料2600份。分天看：…", "一共发出去1100份：上午…")."""
    recaps = [match.span() for match in _RECAP.finditer(text)]
    markers = list(_DETAIL_MARKER.finditer(text)) if any(word in text for word in _DETAIL_MARKER_NEEDS) else []
    sentence_ends = [index for index, char in enumerate(text) if char in "。\n"] if markers else []
    first_total: dict[int, re.Match[str] | None] = {}  # by sentence start: one scan per sentence
    for marker in markers:
        stop = marker.start()
        while stop > 0 and text[stop - 1] in "。\n ：:":  # the marker may open a sentence of its own
            stop -= 1
        before = bisect_left(sentence_ends, stop)
        start = sentence_ends[before - 1] + 1 if before else 0
        if start not in first_total:
            first_total[start] = _TOTAL_WORD.search(text, start)
        total = first_total[start]
        if (
            total is not None
            and total.start() < stop
            and (total.end() <= stop or _TOTAL_WORD.search(text, start, stop))
        ):
            recaps.append((start, marker.start()))
    totalled = any(word in text for word in _TOTAL_THEN_PARTS_NEEDS)
    parts = [match.span() for match in _TOTAL_THEN_PARTS.finditer(text)] if totalled else []
    recaps += parts
    if markers or parts:
        return recaps
    outside = [d for d in dates if not any(s <= d.start < e for s, e in recaps)]
    return recaps if len(outside) >= 2 else []


def without_plans_and_recaps(text: str, dates: Sequence[DateMention]) -> tuple[str, bool]:
    """``text`` with plans and recaps masked, unless nothing done would be left; and whether a
    plan was masked."""
    apparatus = apparatus_spans(text) + breakdown_spans(text) + article_spans(text)
    if apparatus:
        text = mask(text, apparatus)
        dates = [d for d in dates if text[d.start] != MASK]
    plans = plan_spans(text, dates)
    alongside = [match.span() for match in _OTHERS_ALONGSIDE.finditer(text)] if "各" in text else []
    spans = plans + recap_spans(text, dates) + alongside
    if not spans:
        return text, False
    rest = mask(text, spans)
    if find_quantities(rest) or find_triggers(rest, rest):
        return rest, bool(plans)
    return text, False


def is_framing(
    own_dates: Sequence[DateMention],
    substantive: bool,
    dated_before: bool,
    dated_after: Sequence[DateMention],
) -> bool:
    """A segment that frames the items of a write-up rather than reporting one.

    ``substantive``: the segment has a count, a place or a named company of its own.
    """
    if substantive:
        return False
    if not own_dates:
        return not dated_before and bool(dated_after)
    span = set(own_dates[0].days)
    if len(span) < 2:
        return False
    inside = (d for d in dated_after if set(d.days) <= span)
    return next(inside, None) is not None and next(inside, None) is not None
