"""Whether a clause starts a new activity, or tells more of one already told.

The tests the walk in splitting asks of each clause: does it state a count (states_count), open on a
day of its own (opens_new_day), start a new activity (starts_new: an enumerated item, a new sentence
differing in type, date or place, or a clause opening like a new action), or refer back (通过此次…,
活动现场…, 其中…, the same audience, an outlet's coverage, the ceremony's own 座谈), tell more of an
earlier activity by its kind (told_of_before), and the titles, lead-ins and campaign names that
open nothing on their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from handlers.parsing.clauses import Clause, Found, Segment
from handlers.parsing.counts import any_count
from handlers.parsing.keywords import Trigger
from storage.vocabulary import ActivityType

SPOKEN_JOIN_WORDS = frozenset(("另外", "还有就是", "再就是"))
# "…阅读会来了七十多人然后晚上在公众号推了一篇": a connective of sequence tells of a next action
# even after a clause that named no kind.
SEQUENCE = re.compile(r"\s*(?:然后|紧接着|接着|随后|之后|完了(?:以后)?)")
# Inside a sentence a clause starts a new activity only if it opens like a new action: with a
# connective or a time (always), or with a place, a movement or an action verb (only after an
# activity that has its own count or place, and never into publicity, which is what visits,
# lectures and shows also do: "深入辖区企业，开展知识产权宣传服务，共走访企业6家" is one visit).
NEW_ACTION = re.compile(
    r"\s*(?:同时|并|还|另外|此外|随后|之后|然后|接着|回来后|返回后|结束后|完事|完了|次日|当天|当日|上午|下午|晚上|中午|早上)"
)
_ALONG = re.compile(r"\s*并")
_NEXT_ACTION = re.compile(
    r"\s*(?:在|于|到|赴|走进|深入|来到|前往|通过|利用|依托|借助"
    r"|(?:又|已|共|累计)?(?:走访|举办|召开|推送|发布|刊发|开展|组织|上门))"
)
_SECTION_TITLE = re.compile(
    r"\s*(?:[一二三四五六七八九十]{1,2}、|[（(][一二三四五六七八九十]{1,2}[）)])\s*"
    r"(?:基本情况|总体情况|开展情况|工作成效|主要成效|取得成效|活动成效|工作成果)"
)
_DATED_LOOKBACK = 3
# "此前，4月22日，…", "此外，4月25日…", "【进企业】4月21日": a connective or a tag before the day
# still opens on it.
_BEFORE_DAY = re.compile(r"\s*(?:【[^】\n]{1,12}】\s*)?(?:(?:此前|此外|另外|同时|随后|此后|之前|之后|其间)[，,]?\s*)?")
_GENERIC_UNITS = frozenset("个件袋盒次")  # 又搞了一次: a time, no count of anything
# "期间在公众号推送文章3篇" is work of its own, "期间，共发放…" refers back.
# "走访中，", "培训会上，", "展销现场，", "在随后的座谈会上，": the detail of the work just told.
# "工作人员通过专题讲座、有奖问答等形式，…": how the staff did the work just told.
_STAFF = "(?:工作人员|民警|关员|干警|执法人员|检察官|法官|律师|志愿者|专家|讲师|老师|干部|队员)"
# "与会企业代表…作了交流发言", "学员们…与专家进行了深入交流": the audience of the work just told.
_BACKREF = re.compile(
    # "参与答题的有…", "参加培训的…": those who took part in what was just told
    rf"\s*(?:{_STAFF}?通过|此次|本次|该|活动|其中|共|一共|总共|累计|合计|期间(?![在于])|现场|会上|参会|参训|与会|学员|吸引"
    r"|(?:参与|参加)[\u4e00-\u9fff]{0,4}的"
    r"|(?:在随后的)?(?:走访|调研|培训|讲座|宣讲|宣传|展销|路演|座谈|检查|展览|展示|授课|参观|对接|发布|开放日|比赛|竞赛|观摩)"
    r"(?:会|班|活动)?(?:中|上|现场|期间|过程中)[，,])"
)
# "同时，通过商场广播、电子屏滚动播放…": how the work just told was done, unless it has a count of its own
# ("同时通过公众号推送文章1篇" is a piece of media work).
_ALONG_HOW = re.compile(rf"\s*(?:同时|此外|另外)[，,]?\s*{_STAFF}?通过")
_SENTENCE_END = re.compile("[。；;！!？?\n]")
_SENTENCE_REACH = 120
_STAFF_SUBJECT = re.compile(rf"\s*(?:县局|区局|市局|该局)?{_STAFF}们?(?!参加|参训)")
_LEAD_IN_END = re.compile(r"[：:]\s*$")
# "同时区融媒体中心对活动进行了报道": an outlet covering the activity is no work of the unit's own.
_COVERAGE = re.compile(
    r"对(?:此次|本次|该|这次)?活动(?:进行了?|作了?|予以)(?:跟踪|宣传|专题)?报道|报道了(?:此次|本次|该|这次)?活动"
)
# "培训结束后组织学员参观了展区", "会后带领与会人员实地观摩": the same audience, the event's own
# programme.
_SAME_AUDIENCE = re.compile(
    r"\s*(?:[^，,。；;]{0,8}?(?:结束后|后)[，,]?\s*)?(?:组织|带领|安排)(?:全体)?"
    r"(?:学员|参训人员|参训学员|参训代表|与会人员|参会人员|与会代表|参会代表)"
)
_SCREEN_SLOGAN = re.compile(
    r"(?:屏|屏幕|广播)[^，,。；;\n]{0,6}?(?:滚动)?(?:播放|展示|播出)[^，,。；;\n]{0,15}?(?:标语|口号|宣传语)"
)
# "仪式后召开座谈会": the ceremony's own programme.
_AFTER_CEREMONY = re.compile(r"\s*(?:启动)?(?:仪式|会)(?:后|结束后)")
# "培训来了四十多人", "宣传那边发了两百来份", "资料发了三百五十份": the kind as the topic, then what it came to.
TOLD_OF_REACH = 6
_TOPIC_TOLD = re.compile(r"(?:那边|这边|那块|这块|上|方面)?\s*(?:来了|发了|发出|到了|参加的|一共|共)")
_CEREMONY_OVER = re.compile(r"(?:启动)?仪式(?:后|结束后)")


def told_of_before(
    clause: Clause, triggers: list[Trigger], has_count: bool, placed: bool, segments: list[Segment], found: Found
) -> Segment | None:
    """The earlier activity a clause tells more of: "上午在会议室搞了培训 下午在街道搞了宣传 培训来了四十多人
    宣传那边发了两百来份" — a clause that opens with the kind of an earlier activity (not the current
    one's), with a count and no place or date of its own."""
    if not (triggers and has_count and len(segments) > 1) or placed or clause.sentence_start or clause.enumerated:
        return None
    kind = triggers[0]
    if found.masked[clause.start : kind.start].strip() or found.dates.first(clause.start, clause.end) is not None:
        return None
    if _TOPIC_TOLD.match(found.masked, kind.end) is None:
        return None
    if kind.type == segments[-1].type:
        return None
    # Only the few activities just before are looked at: a long message stays linear.
    recent = segments[-2 : -2 - TOLD_OF_REACH : -1]
    return next((s for s in recent if s.type == kind.type and s.refers_to is None), None)


def names_a_campaign(current: Segment, found: Found) -> bool:
    """The activity so far is only a 进校园/进企业… campaign's name, nothing counted yet."""
    head = current.head
    return (
        head is not None
        and head.type == ActivityType.PUBLICITY
        and found.masked.startswith("进", head.start)
        and not current.weak
        and not any_count(found.evidence, found.quantities.within(current.start, current.end), head.type)
    )


def is_heading(clause: Clause, following: Sequence[Clause], found: Found) -> bool:
    """An item's title sentence, its dated text after it: "二、律师服务进企业。4月23日，组织律师走访…"
    is one activity, typed by all its words."""
    if not (clause.enumerated and following and following[0].sentence_start):
        return False
    bare = not (found.dates.within(clause.start, clause.end) or found.quantities.within(clause.start, clause.end))
    dated_next = found.dates.first(following[0].start, following[0].end)
    return bare and dated_next is not None and not found.masked[following[0].start : dated_next.start].strip()


def opens_new_day(clause: Clause, segments: list[Segment], found: Found) -> bool:
    """The clause starts (after a connective, if any: "此前，4月22日", "然后周四…", "完了昨天又…")
    with a date none of whose days the current activity's first date has (an undated activity's: the
    last dated one's before it, "4月23日…宣传，并走访2家企业。4月22日至24日…"), or a span other
    than that single day."""
    date_here = found.dates.first(clause.start, clause.end)
    if date_here is None:
        return False
    if not _BEFORE_DAY.fullmatch(found.masked, clause.start, date_here.start):
        lead = found.masked[clause.start : date_here.start].strip()
        if SEQUENCE.fullmatch(lead) is None and lead not in SPOKEN_JOIN_WORDS:
            return False
    # A few activities back at most: each clause looks no further, so the walk stays linear.
    date_now = next(
        (d for s in reversed(segments[-_DATED_LOOKBACK:]) if (d := found.dates.first(s.start, s.end))), None
    )
    # A paragraph opening on a day is an item of its own after an opening paragraph with no day
    # ("宣传周开展以来，…开展了一系列宣传活动。\n4月20日至22日，…") or after an item with counts
    # of its own over a run of days ("4月20日起…开设专题…共发布稿件7篇。\n4月24日，…").
    paragraph = clause.start > 0 and found.masked[clause.start - 1] == "\n"
    if date_now is None:
        return paragraph and found.dates.first(segments[-1].start, segments[-1].end) is None
    overlap = set(date_here.days) & set(date_now.days)
    counted_run = len(date_now.days) > 1 and found.quantities.first(segments[-1].start, segments[-1].end) is not None
    return (
        not overlap
        or (date_here.span and len(date_now.days) == 1 and date_here.days != date_now.days)
        or (paragraph and counted_run and date_here.days != date_now.days)
    )


def is_lead_in(clause: Clause, found: Found) -> bool:
    """A clause ending in a colon whose numbers count no field ("今天两场活动：")."""
    if _LEAD_IN_END.search(found.masked, clause.start, clause.end) is None:
        return False
    inside = found.quantities.within(clause.start, clause.end)
    return (
        not any_count(found.evidence, inside, ActivityType.OTHER)
        and found.locations.first(clause.start, clause.end) is None
    )


def counted_on(clause: Clause, found: Found) -> bool:
    """Whether the rest of the clause's sentence (within a bounded reach) states a count."""
    end = _SENTENCE_END.search(found.masked, clause.end, clause.end + _SENTENCE_REACH)
    stop = end.start() if end is not None else min(len(found.masked), clause.end + _SENTENCE_REACH)
    return found.quantities.first(clause.end, stop) is not None


def _bare_outreach_label(current: Segment, found: Found) -> bool:
    """The activity so far is only a 进校园/进社区… label: no count, no place of its own."""
    head = current.head
    if head is None or not found.masked.startswith("进", head.start):
        return False
    counted = found.quantities.within(current.start, current.end)
    return not (counted or found.locations.within(current.start, current.end))


def states_count(clause: Clause, trigger: Trigger | None, found: Found) -> bool:
    """Whether the clause states a count: "培训1场" does, "我局组成3个工作组" does not (a generic
    classifier counts only what a count field claims)."""
    inside = found.quantities.within(clause.start, clause.end)
    if not inside:
        return False  # (most clauses: nothing to look at)
    if any(q.unit not in _GENERIC_UNITS for q in inside):
        return True
    return any_count(found.evidence, inside, trigger.type if trigger else ActivityType.OTHER)


def starts_new(clause: Clause, strong: Trigger | None, has_count: bool, current: Segment, found: Found) -> bool:
    if clause.enumerated:
        # "…4月21日至24日深入企业走访。一、基本情况。先后走访企业16家…" tells of the same work.
        return _SECTION_TITLE.match(found.masked, clause.start) is None
    if (
        strong is None
        or _BACKREF.match(found.masked, clause.start)
        or _BACKREF.match(found.evidence, clause.start)
        or _SAME_AUDIENCE.match(found.masked, clause.start)
    ):
        return False
    if _COVERAGE.search(found.masked, clause.start, clause.end):
        return False
    # "…开展宣传活动，发放资料600份。还利用电子显示屏滚动播放宣传标语，营造氛围": slogans on screens
    # beside a publicity event, with no count, day or place of their own, are part of it (alone,
    # "LED大屏滚动播放宣传周标语" is media work of its own).
    if (
        current.type == ActivityType.PUBLICITY
        and not has_count
        and _SCREEN_SLOGAN.search(found.masked, clause.start, clause.end)
        and found.dates.first(clause.start, clause.end) is None
        and found.locations.first(clause.start, clause.end) is None
    ):
        return False
    if not has_count and _ALONG_HOW.match(found.masked, clause.start):
        return False
    # "执法人员同时向经营户宣传了…", "工作人员挨家挨户走访，讲解了…": the staff at the work just told, with
    # no day, count or place of their own, tell how it went.
    if (
        not has_count
        and _STAFF_SUBJECT.match(found.masked, clause.start)
        and found.dates.first(clause.start, clause.end) is None
        and found.locations.first(clause.start, clause.end) is None
    ):
        return False
    # "组织…骨干80余人，举办…专题讲座": what came before had no kind; this clause gives it one.
    if current.head is None and not current.weak and not clause.sentence_start:
        return SEQUENCE.match(found.masked, clause.start) is not None
    # "开展版权专项检查，并现场宣讲…": an accompanying word, with no count or place of its own.
    accompanying = _ALONG.match(found.masked, clause.start) is not None
    if (
        accompanying
        and strong.type == ActivityType.PUBLICITY
        and not has_count
        and found.locations.first(clause.start, clause.end) is None
    ):
        return False
    # The notice's ceremony comes with a 座谈 ("参加启动仪式，并在座谈会上发言", "仪式后召开座谈会" are
    # one activity).
    after_ceremony = clause.sentence_start and _AFTER_CEREMONY.match(found.masked, clause.start) is not None
    if (
        current.type == ActivityType.CEREMONY
        and strong.type == ActivityType.OTHER
        and (not clause.sentence_start or after_ceremony)
    ):
        return False
    # "赴…企业开展专项调研，召开座谈会2场": talks held on a visit are part of it.
    talks = found.masked.startswith(("座谈", "交流"), strong.start)
    on_visit = current.type == ActivityType.VISIT and strong.type == ActivityType.OTHER and talks
    if on_visit and not clause.sentence_start and not opens_new_day(clause, [current], found):
        return False
    # "启动仪式后开展了集中宣传": the unit's own ceremony, then its work of the day.
    own_work = strong.type not in (ActivityType.OTHER, ActivityType.CEREMONY)
    if (
        current.type == ActivityType.CEREMONY
        and own_work
        and _CEREMONY_OVER.search(found.masked, clause.start, strong.start)
    ):
        return True
    date_here, date_now = found.dates.first(clause.start, clause.end), found.dates.first(current.start, current.end)
    place_here = found.locations.first(clause.start, clause.end)
    place_now = found.locations.first(current.start, current.end)
    differs = (
        strong.type != current.type
        or (date_here is not None and date_now is not None and date_here.days != date_now.days)
        or (place_here is not None and place_now is not None and place_here.text != place_now.text)
    )
    if clause.sentence_start:
        return differs
    if clause.spaced:
        # "走访企业5家 培训1场 参训30人" is two items; "走访企业3户 宣传知识产权政策" is one; "4.22 进校园
        # 在…中学开展法治讲座" is one: a bare 进X label heads the item it is written before.
        if _bare_outreach_label(current, found):
            return False
        return differs and (has_count or date_here is not None or place_here is not None)
    if not differs:
        return False
    if (date_here is not None and date_here.start == clause.start) or NEW_ACTION.match(found.masked, clause.start):
        return True
    # "走访企业5家，开展打击侵权假冒服务": an unlisted kind with no count or place of its own says
    # what the activity was about.
    if strong.type == ActivityType.OTHER and not has_count and place_here is None:
        return False
    substantive = found.quantities.first(current.start, current.end) is not None or place_now is not None
    return (
        substantive
        and strong.type != ActivityType.PUBLICITY
        and _NEXT_ACTION.match(found.masked, clause.start) is not None
    )
