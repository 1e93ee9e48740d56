"""Cutting a report into activities.

The message is cut into clauses at punctuation, line breaks, runs of spaces, spoken connectives
written without punctuation (然后, 接着, 另外, 还有就是), a 、 after a counted item (开展宣传3场、走访企业6家)
and enumerators (一是/二是, 1./2., （一）/（二）, ①②, 首先/其次). Walking the clauses:

- clauses before the first activity word (a date, the unit, "今天") open the first activity, and
  an item's bare title sentence joins the dated sentence after it, its words only weak
  ("二、律师服务进企业。4月23日，组织律师走访…" is a visit);
  a clause with nothing in it that ends a sentence stays with that sentence's activity;
- a clause with no activity word and no count, like "4月21日", joins whatever follows it (a run
  of such clauses longer than HELD_MAX_CHARS stays with the activity before it);
- an enumerated item with an activity word or a count starts a new activity, unless it is a
  section on the work above (一、基本情况/工作成效…);
- a new sentence (after 。；！？ or a line break) with a strong activity word starts a new
  activity when it differs from the current one in type, date or place;
- inside a sentence, a clause does so only when it also opens like a new action: with a
  date, a time of day or 同时/另外/随后…; or, after an activity with its own count or place,
  with 在…, a movement (到/赴…) or an action verb (走访/举办/推送…) into a kind other than
  publicity: "集中宣传，发放资料500份，到2家企业上门指导" → publicity + visit,
  "发放资料5000余份，开展宣传活动6场，走访企业20家" → publicity + visit; in a terse note cut
  by spaces, when it has its own count, date or place ("走访企业5家 培训1场 参训30人");
- a clause referring back (通过此次…, 活动现场…, 其中…), taking the same audience on (培训结束后
  组织学员参观…) or telling of an outlet's coverage (融媒体中心对活动进行了报道) never starts one,
  nor does the ceremony's own 座谈 (仪式后召开座谈会); a clause with only counts continues the current activity.

This module is the walk; the clauses are cut in clauses, the tests asked of each clause are in
boundaries.
"""

from __future__ import annotations

import re

from handlers.parsing.boundaries import (
    NEW_ACTION,
    SEQUENCE,
    counted_on,
    is_heading,
    is_lead_in,
    names_a_campaign,
    opens_new_day,
    starts_new,
    states_count,
    told_of_before,
)
from handlers.parsing.clauses import Clause, Found, Segment, cut_clauses
from handlers.parsing.keywords import Trigger, best, find_triggers
from handlers.parsing.normalize import SPOKEN_JOINS
from storage.vocabulary import ActivityType

_CONNECTIVE = re.compile(rf"\s*(?:{SPOKEN_JOINS}|随后|之后)")
_TIME_OPENER = re.compile(rf"\s*(?:完了|完事|又|{SPOKEN_JOINS})?\s*(?:上午|中午|下午|晚上|早上|傍晚)")
_TAG_TITLE = re.compile(r"(?:^|(?<=\n))[ \t]*【[^】\n]{1,12}】")
# Nearly three times the longest such run in the parser's corpus (108 characters).
HELD_MAX_CHARS = 300


def split_activities(found: Found) -> list[Segment]:
    """The activities of a report, in order; at least one."""
    segments: list[Segment] = []
    held: Clause | None = None  # clauses with nothing in them yet, waiting for the next
    heading_end = 0
    clauses = cut_clauses(found.masked)
    # "【进企业】4月21日，…走访辖区5家企业": a paragraph's bracketed tag is its title, its words only hint.
    tagged = bytearray(len(found.masked))
    for match in _TAG_TITLE.finditer(found.masked) if "【" in found.masked else ():
        tagged[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    for index, clause in enumerate(clauses):
        # (whether the clause is a next step is asked only with clauses held: most are not)
        next_step = held is not None and (
            clause.sentence_start or clause.enumerated or _CONNECTIVE.match(found.masked, clause.start)
        )
        if held is not None and segments and not held.sentence_start and next_step:
            # "走访辖区6家企业，开展法律体检。三、…": the sentence's tail stays with its activity, and
            # so does speech's before a connective ("…主要是摸摸专利底数 然后周四…").
            segments[-1].end, held = held.end, None
        elif (
            held is not None
            and segments
            and clause.sentence_start
            and not (clause.enumerated or held.enumerated)
            and found.dates.first(held.start, held.end) is None
        ):
            # "…。现场群众纷纷表示，…。此前，4月22日，…": a whole sentence with nothing in it stays
            # with the activity before; the next sentence opens on its own words.
            segments[-1].end, held = held.end, None
        if held is not None and clause.end - held.start > HELD_MAX_CHARS:
            # Clauses with nothing in them join the next one so that it is read with them; past
            # this length they are left where they lie, with the activity before, so that a long
            # run of them is not read again with every clause added (quadratic).
            held = None
        if held is not None:
            clause = Clause(
                held.start, clause.end, held.sentence_start, held.enumerated or clause.enumerated, held.spaced
            )
        if is_heading(clause, clauses[index + 1 : index + 2], found):
            held, heading_end = clause, clause.end
            continue
        # Positions in the message, not the clause. A title's words only hint: "律师服务进企业。…组织律师走访…"
        # is a visit.
        triggers = [
            Trigger(
                t.type,
                t.priority,
                t.strong and t.start + clause.start >= heading_end and not tagged[t.start + clause.start],
                t.start + clause.start,
                t.end + clause.start,
            )
            for t in find_triggers(found.masked[clause.start : clause.end], found.evidence[clause.start : clause.end])
        ]
        if triggers:
            strong = best([t for t in triggers if t.strong])
            weak = [t for t in triggers if not t.strong]
            weakest = best(weak)
        else:  # (half the clauses name no kind of work)
            strong, weak, weakest = None, [], None
        has_count = states_count(clause, strong or weakest, found)
        # A new sentence with its own place and count opens an activity on weak words alone:
        # "举办讲座，参加50人；同日在社区广场发放资料300份" is a lecture and a handout.
        # So does a clause joined by 并/同时/另外… with its own count, into a kind other than
        # publicity: "…发资料600份，并指导3户种植户申请商标" is a handout and a visit, "走访5家
        # 企业，并为企业发放指南100份" one visit.
        opener = strong
        may_open_weakly = strong is None and has_count  # else joined does not matter: not looked for
        joined = (
            may_open_weakly
            and NEW_ACTION.match(found.masked, clause.start)
            and weakest
            and weakest.type != ActivityType.PUBLICITY
        )
        # "…讲了一课，中午赶到集上发资料400多份": a new time of day with its own count is a new
        # piece of the day's work, a handout included.
        # So does a day of its own: "…，昨天发了260份，今天发了310份".
        # (Looked for whatever the count: a time with a place of its own opens an activity below.)
        # A new day, a time and a sequence only let weak words open: with a strong one the clause
        # has its opener, and they are not looked for.
        new_day = strong is None and bool(segments) and opens_new_day(clause, segments, found)
        timed = strong is None and (_TIME_OPENER.match(found.masked, clause.start) is not None or new_day)
        placed = found.locations.first(clause.start, clause.end) is not None
        if strong is None and has_count and ((clause.sentence_start and placed) or joined or timed):
            opener = weakest
        # "…；同日，在七道泉子镇政府门口摆放展板，发放资料200份": the sentence's count may come in a
        # later clause of it.
        if strong is None and not has_count and clause.sentence_start and placed and counted_on(clause, found):
            opener = weakest
        # "…咨询四十来人次 还有就是中午在镇政府门口放了展板": a new time of day at a place of its own.
        # "…走访完了又在镇政府门口发了点资料两百来份": a next step at a place of its own, with a count.
        sequenced = strong is None and has_count and SEQUENCE.match(found.masked, clause.start) is not None
        if strong is None and (timed or sequenced) and placed:
            opener = weakest
        # "…旁听；4月23日在服务中心开展法律咨询，…": a sentence opening on a day of its own is
        # a new activity on weak words alone.
        # "…发了四百多份 完了昨天又在友谊大街…接着搞": a new day at a place of its own, too.
        if strong is None and new_day and (clause.sentence_start or placed):
            opener = weakest
        # "今天两场活动：上午…；下午…": a lead-in with no trigger and no count field opens nothing.
        if strong is None and is_lead_in(clause, found):
            held = clause
            continue
        # "(2)4月22日，在…设立诉调对接窗口，…调解纠纷3件": a dated item is an activity of its own.
        dated_item = clause.enumerated and found.dates.first(clause.start, clause.end) is not None
        if not (strong or weak or has_count or dated_item):
            held = clause
            continue
        held = None
        current = segments[-1] if segments else None
        # Another day is another activity even before a word says its kind: at another place
        # ("…完了昨天又在友谊大街一家商场门口接着搞"), or opening a sentence with its own count
        # ("4月26日，在…举办亲子绘本阅读会，30余个家庭70余人参加").
        unnamed_day = opener is None and new_day and (placed or (has_count and clause.sentence_start))
        if current is None:
            segments.append(Segment(0, clause.end, strong, weak))
        elif (
            strong is not None
            and strong.type in (ActivityType.VISIT, ActivityType.TRAINING, ActivityType.EXHIBITION)
            and not clause.sentence_start
            and names_a_campaign(current, found)
        ):
            # "开展知识产权进企业活动 走访企业七家": 进企业 names the campaign, 走访 says the work.
            current.end, current.head = clause.end, strong
            current.weak.extend(weak)
        elif (earlier := told_of_before(clause, triggers, has_count, placed, segments, found)) is not None:
            current.end = clause.start
            segments.append(Segment(clause.start, clause.end, strong, weak, refers_to=earlier))
        elif unnamed_day or starts_new(clause, opener, has_count, current, found):
            current.end = clause.start
            segments.append(Segment(clause.start, clause.end, strong, weak))
        else:
            current.end = clause.end
            current.head = current.head or strong
            current.weak.extend(weak)
    if not segments:
        return [Segment(0, len(found.masked))]
    segments[-1].end = len(found.masked)
    return segments
