"""parse_report: one liaison message in, one Reading out.

Plans and recaps beside work done are masked first (see framing). Everything else is found once
over the whole (normalised) message and then handed out by position: unit mentions and places,
locations, dates, counted numbers. Then the intent is decided, and for a report the message is
split into activities (see splitting), less a write-up's framing (title, opening, umbrella span).

Dates of an activity: the first date written in its stretch (a span giving way to a day inside it
written after it unless a tally runs up to that day, "到今天一共四篇"; a day giving way to a span after
it that holds it, "今天闭展了 展期是22号到26号"; a day something was moved to, "原定的宣传改到明天",
giving way to none);
else the previous activity's first day, stated or not as it was (今天一是…二是… share 今天); else,
for the ceremony once past, the configured ceremony day; else the message day, with date_stated False
unless a time of day (上午, 下午) was written, and a note. A range (4月20日至22日, 周一到周三,
21日起连续3天, a date with 为期三天) is one activity from its first day to its last (end_date), its
counts once; a list of days (4月20日、22日) gives one activity per day, up to a week: the counts,
stated once for all of them, go on the first day's activity so totals are not multiplied. A date after the message day
is kept, with a note asking to confirm it; a planned one (明天计划…) next to activities done is
left out. The message day is the day just lived until 04:00: written at 00:40, "今天在集上忙活一天"
is the day before.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from functools import partial

from handlers.parsing.articles import published_day
from handlers.parsing.attendees import extract_attendees
from handlers.parsing.blocks import read_blocks
from handlers.parsing.clauses import Found, Segment
from handlers.parsing.counts import Count, any_count, attribute, totals
from handlers.parsing.date_finders import DateMention
from handlers.parsing.dates import find_dates
from handlers.parsing.directory import UnitDirectory
from handlers.parsing.explain import explain_activities, explain_rows, trace_date
from handlers.parsing.framing import is_framing, is_schedule, without_plans_and_recaps
from handlers.parsing.intent import OTHER, REPORT, RSVP, Signals, classify
from handlers.parsing.keywords import find_triggers
from handlers.parsing.listed import read_listed
from handlers.parsing.locations import find_locations
from handlers.parsing.model import COUNT_FIELDS, ParsedActivity, Reading
from handlers.parsing.named_counts import companies_visited, labelled_quantities, named_companies, published_issue
from handlers.parsing.normalize import MASK, mask, normalize
from handlers.parsing.numerals import find_quantities, to_int
from handlers.parsing.positions import ByStart
from handlers.parsing.splitting import split_activities
from handlers.parsing.tables import read_table
from handlers.parsing.trace import Trace, explained
from handlers.parsing.units import resolve_unit
from storage.types import to_local
from storage.vocabulary import ActivityType, CountKind

_TIME_OF_DAY = re.compile("上午|下午|晚上|中午|早上|傍晚|晚间")
# A future activity with one of these is a plan: left out when the message also reports
# something done ("今天走访企业3家；明天计划在社区开展宣传"), kept with a note when alone.
_PLAN = re.compile("计划|准备|打算|预计|拟|将|下一步|定于|定在")
# A bare weekday in a plan or in work under way ("周日在利州广场搞展示，现在正在布展") is the
# coming one, not the last.
_UPCOMING = re.compile(f"{_PLAN.pattern}|正在")
_EDGES = " ，,；;。！!？?：:\n"
# "今天下雨，原定的广场宣传改到明天了": the day moved to is the activity's.
# "4月21日在体育馆举办为期三天的成果展": a day and how long it lasted make a range.
_LASTING = re.compile(r"(?:为期|持续|历时)\s*(?P<n>\d|[两二三四五六七])\s*天")
_MOVED = re.compile(r"(?:改到|改在|改期到|改期至|推迟到|推迟至|延期到|延期至|延至|顺延到|顺延至|挪到)\s*$")
# "这周一到周四每天发一篇 到今天一共四篇": the day a tally runs up to ends the span.
_UP_TO = re.compile(r"(?:到|截至|截止到?|直至)\s*$")


AFTER_MIDNIGHT = dt.timedelta(hours=4)


def parse_report(
    text: str,
    now: dt.datetime,
    bound_unit: str | None,
    units: UnitDirectory,
    *,
    ceremony_day: dt.date | None = None,
    campaign_week: tuple[dt.date, dt.date] | None = None,
    trace: Trace | None = None,
) -> Reading:
    """``ceremony_day``: the launch ceremony's day, when known; once it has come, an undated
    "局长出席启动仪式" tells of the ceremony attended (on that day), not of who will go.
    ``campaign_week``: the campaign's first and last day, what "整个宣传周" names.
    ``trace``: filled in with the rule that decided each field (`weekbot parse --explain`)."""
    # Written after midnight ("刚到家 今天在集上忙活一天", 00:40), 今天 is the day just lived.
    today = (to_local(now) - AFTER_MIDNIGHT).date()
    ceremony_past = ceremony_day is not None and ceremony_day <= today
    written = normalize(text)
    # A forwarded article's 今天/昨天 count from the day it was posted, not the day it was forwarded.
    dates = find_dates(written, published_day(written, today) or today, trace, campaign_week)
    plain, plans_left_out = without_plans_and_recaps(written, dates)
    dates = [d for d in dates if plain[d.start] != MASK]
    mentions = units.mentions(written)  # a plan's opening may still name the unit
    evidence = mask(plain, ((m.start, m.end) for m in mentions if not m.is_place))
    locations = find_locations(plain, evidence, trace)
    masked = mask(evidence, ((loc.start, loc.end) for loc in locations))
    quantities = find_quantities(evidence)
    found = Found(masked, evidence, ByStart(dates), ByStart(locations), ByStart(quantities))
    triggers = find_triggers(masked, evidence)
    counted = any_count(evidence, quantities, ActivityType.OTHER) or labelled_quantities(evidence, 0, len(evidence))
    signals = Signals(
        has_trigger=bool(triggers),
        has_activity_word=any(t.strong and t.type != ActivityType.CEREMONY for t in triggers),
        has_counts=bool(counted),
        has_date=bool(found.dates),
        has_location=bool(locations),
        read_attendees=partial(extract_attendees, written),
        dates_past=bool(found.dates) and all(max(d.days) <= today for d in found.dates),
        ceremony_past=ceremony_past,
        names_ceremony_day=ceremony_day is not None and any(ceremony_day in d.days for d in found.dates),
    )
    # A pasted table reads one activity per row, its columns as the fields (see tables); key：value
    # blocks one activity per block (see blocks); numbered rows without a header one per row (see listed).
    table = read_table(plain, today, text) or read_blocks(plain, today, text) or read_listed(plain, today, text)
    # A schedule sent ahead is no report, table or not (its items are not done yet).
    if is_schedule(plain, found.dates, today):
        intent = explained(trace, OTHER, "a schedule sent ahead (is_schedule)")
    elif table:
        intent = explained(trace, REPORT, "a pasted table or key：value form")
    else:
        intent = classify(written, signals, trace)
    head_end = min(
        [t.start for t in triggers] + [loc.start for loc in locations] + [q.start for q in quantities],
        default=len(plain),
    )
    bound = (units.canonical(bound_unit) or bound_unit) if bound_unit else None
    unit, unit_source = resolve_unit(plain, mentions, locations, head_end, bound, units, trace)
    notes: list[str] = []
    if unit is None:
        notes.append("没认出是哪个单位的报送，请注明单位名称。")
    if intent != REPORT:
        return Reading(intent, unit, unit_source, (), signals.attendees if intent == RSVP else (), tuple(notes))
    if table:
        if trace is not None:
            explain_rows(trace, table)
        return _table_reading(table, unit, unit_source, notes, today)
    activities: list[ParsedActivity] = []
    plans: list[ParsedActivity] = []
    previous: tuple[tuple[dt.date, ...], bool] | None = None
    first_activity: dict[int, int] = {}  # id() of a segment -> index of its first activity
    for segment in _reported(split_activities(found), found):
        told = first_activity.get(id(segment.refers_to)) if segment.refers_to is not None else None
        if told is not None:
            # "…培训来了四十多人": counts told later of an earlier activity join that activity.
            activities[told] = _with_counts_of(segment, activities[told], found, text, trace)
            continue
        held_on = ceremony_day if ceremony_past and segment.type == ActivityType.CEREMONY else None
        days, spanned, stated = _days(segment, found, plain, previous, today, held_on, trace)
        previous = days, stated
        planned = min(days) > today and _PLAN.search(plain, segment.start, segment.end) is not None
        if not planned:
            first_activity[id(segment)] = len(activities)
        (plans if planned else activities).extend(_activities(segment, days, spanned, stated, found, text, trace))
    if (plans or plans_left_out) and activities:
        notes.append("计划中的活动这次没有记录，开展后再报送。")
    else:
        activities.extend(plans)
    notes.extend(_date_notes(activities, today))
    if any(not a.type_stated for a in activities):
        notes.append("没认出活动类型，先记为“其他”。")
    return Reading(intent, unit, unit_source, tuple(activities), (), tuple(dict.fromkeys(notes)))


def _table_reading(
    table: list[ParsedActivity], unit: str | None, unit_source: str | None, notes: list[str], today: dt.date
) -> Reading:
    notes = notes + _date_notes(table, today)
    if any(not a.type_stated for a in table):
        notes.append("没认出活动类型，先记为“其他”。")
    return Reading(REPORT, unit, unit_source, tuple(table), (), tuple(dict.fromkeys(notes)))


def _reported(segments: list[Segment], found: Found) -> list[Segment]:
    """The segments that report an activity: a write-up's framing is left out (see framing)."""
    if len(segments) < 2:
        return segments
    own = [found.dates.within(s.start, s.end) for s in segments]
    first_line_end = found.masked.find("\n")
    kept = []
    dated_before = False
    for index, segment in enumerate(segments):
        counted = bool(found.quantities.within(segment.start, segment.end))
        # A write-up's headline ("【工信动态】市工信局走进高新区开展…活动") names the place of the
        # item below it; it is no activity of its own.
        headline = index == 0 and not counted and first_line_end >= 0 and segment.end <= first_line_end + 1
        substantive = not headline and (
            counted
            or bool(found.locations.within(segment.start, segment.end))
            or named_companies(found.evidence[segment.start : segment.end]) > 0
        )
        # The segments tile the message (what lies between two is punctuation, no date), so the
        # dates of all later segments are one run of the message's dates.
        dated_after = (
            found.dates.within(segments[index + 1].start, segments[-1].end) if index + 1 < len(segments) else ()
        )
        if not is_framing(own[index], substantive, dated_before, dated_after):
            kept.append(segment)
        dated_before = dated_before or bool(own[index])
    return kept or segments


def _days(
    segment: Segment,
    found: Found,
    plain: str,
    previous: tuple[tuple[dt.date, ...], bool] | None,
    today: dt.date,
    held_on: dt.date | None,
    trace: Trace | None = None,
) -> tuple[tuple[dt.date, ...], bool, bool]:
    """The activity's days, whether they are one range (one activity over them all) and whether
    they were written (see the module docstring); ``held_on``: the day of an event known from the
    configuration (the ceremony)."""
    own = found.dates.within(segment.start, segment.end)
    moved_to = next((m for m in own if _MOVED.search(plain, max(0, m.start - 4), m.start)), None)
    if moved_to is not None:
        trace_date(trace, segment, "the day it was moved to (_MOVED)", plain, moved_to)
        return _upcoming(moved_to, segment, plain, today), moved_to.span, True
    if own:
        # "4月20日至26日宣传周期间，我关开展了以下活动：（一）4月21日…": a span framing the
        # first item gives way to the day inside it.
        span = set(own[0].days)
        inside = own[0]
        if len(span) > 1 and len(own) > 1:
            told_at = _told_at(found, own[0].end, segment.end)
            inside = next((m for m in own[1:] if set(m.days) < span and _item_day(found, m, told_at)), own[0])
        else:
            # "发明展今天闭展了 展期是22号到26号": the day written first is one of the span after it.
            inside = next((m for m in own[1:] if m.span and span < set(m.days)), own[0])
        days = _upcoming(inside, segment, plain, today)
        lasting = _LASTING.search(plain, inside.end, segment.end)
        if len(days) == 1 and lasting is not None and (length := to_int(lasting.group("n")) or 1) > 1:
            trace_date(trace, segment, f"a day and how long it lasted ({lasting.group()})", plain, inside)
            return tuple(days[0] + dt.timedelta(days=n) for n in range(length)), True, True
        rule = "the first date written in the activity"
        if inside is not own[0]:
            rule = "a day inside the span before it" if len(span) > 1 else "the span the first day belongs to"
        trace_date(trace, segment, rule, plain, inside)
        return days, inside.span, True
    if previous is not None:
        # A later item shares the day it follows (今天一是…二是…), not a span: the span belongs
        # to the item that wrote it.
        trace_date(trace, segment, "the previous activity's first day")
        return previous[0][:1], False, previous[1]
    if held_on is not None:
        trace_date(trace, segment, "the configured ceremony day")
        return (held_on,), False, True
    trace_date(trace, segment, "message day")
    return (today,), False, _TIME_OF_DAY.search(plain, segment.start, segment.end) is not None


def _told_at(found: Found, start: int, end: int) -> int:
    """Where the first activity word after ``start`` is, up to ``end`` (``end`` if none)."""
    told = find_triggers(found.masked[start:end], found.evidence[start:end])
    return start + min((trigger.start for trigger in told if trigger.strong), default=end - start)


def _item_day(found: Found, day: DateMention, told_at: int) -> bool:
    """Whether ``day``, inside a span and written after it, is the day of an item the span frames: not
    the day a tally runs up to ("到今天一共四篇"), nor a day of the activity told with the span, after
    its activity word (``told_at``: "今明两天在大厅摆咨询台 今天发了二百份")."""
    return day.start <= told_at and _UP_TO.search(found.masked, max(0, day.start - 4), day.start) is None


def _upcoming(mention: DateMention, segment: Segment, plain: str, today: dt.date) -> tuple[dt.date, ...]:
    """The mention's days; a bare weekday in a plan moves on to the coming week."""
    bare_weekday = mention.weekday_name and plain[mention.start] in "周星礼"
    if bare_weekday and max(mention.days) < today and _UPCOMING.search(plain, segment.start, segment.end):
        return tuple(day + dt.timedelta(days=7) for day in mention.days)
    return mention.days


def _activities(
    segment: Segment,
    days: tuple[dt.date, ...],
    spanned: bool,
    stated: bool,
    found: Found,
    original: str,
    trace: Trace | None = None,
) -> list[ParsedActivity]:
    """The segment's activity: one over a range (``spanned``), else one per listed day."""
    kind = segment.type
    inside = found.quantities.within(segment.start, segment.end)
    counts = attribute(found.evidence, inside, kind, trace)
    counts += [
        Count(field, quantity, False)
        for field, quantity in labelled_quantities(found.evidence, segment.start, segment.end)
    ]
    values, approximate = totals(c for c in counts if not c.quantity.per_day)
    # "每日推送1篇…，共推送7篇": a total stated beside a daily rate already counts its days.
    summed = {c.field for c in counts if c.total and not c.quantity.per_day}
    daily, daily_approximate = totals(c for c in counts if c.quantity.per_day and c.field not in summed)
    stretch = found.evidence[segment.start : segment.end]
    if CountKind.ENTERPRISES not in values and (named := companies_visited(stretch, kind)):
        values[CountKind.ENTERPRISES] = named
    if kind == ActivityType.MEDIA and CountKind.ARTICLES not in values and published_issue(stretch):
        values[CountKind.ARTICLES] = 1
    places = found.locations.within(segment.start, segment.end)
    # 在/于 says where it happened, 到/走进 where someone went ("到凌源市开展宣传，在人民广场…").
    location = min(places, key=lambda loc: (not loc.labelled, not loc.where, loc.start)).text if places else None
    source = original[segment.start : segment.end].strip(_EDGES)
    last_day = max(days) if spanned else None
    if spanned:
        # One activity over the range: a daily rate (每天…) counts on each of its days.
        # "每天一篇 一共七篇": a count stated for the whole span is it, the rate adds nothing.
        daily = {name: rate * len(days) for name, rate in daily.items() if name not in values}
        values = {**daily, **values}
        approximate |= daily_approximate
        days, daily, daily_approximate = days[:1], {}, frozenset()
    activities = [
        ParsedActivity(
            date=day,
            end_date=last_day or day,
            date_stated=stated,
            type=kind,
            type_stated=segment.type_stated,
            location=location,
            **{name: _on_day(name, index, values, daily) for name in COUNT_FIELDS},
            approximate=(approximate if index == 0 else frozenset()) | daily_approximate,
            source_text=source,
        )
        for index, day in enumerate(days)
    ]
    if trace is not None:
        explain_activities(trace, activities, segment, found, counts, places)
    return activities


def _with_counts_of(
    segment: Segment, activity: ParsedActivity, found: Found, original: str, trace: Trace | None
) -> ParsedActivity:
    """``activity`` with the counts ``segment`` tells of it added."""
    [told] = _activities(segment, (activity.date,), False, activity.date_stated, found, original, trace)

    def added(mine: int | None, more: int | None) -> int | None:
        return mine if more is None else (mine or 0) + more

    merged = replace(
        activity,
        materials=added(activity.materials, told.materials),
        consultations=added(activity.consultations, told.consultations),
        participants=added(activity.participants, told.participants),
        enterprises=added(activity.enterprises, told.enterprises),
        articles=added(activity.articles, told.articles),
        approximate=activity.approximate | told.approximate,
    )
    if trace is not None:
        explained, more = trace.activities.pop(id(activity), {}), trace.activities.pop(id(told), {})
        for name in COUNT_FIELDS:
            told_rules = more.get(name)
            if isinstance(told_rules, list):
                before = explained.get(name)
                explained[name] = [*(before if isinstance(before, list) else []), *told_rules]
        trace.activities[id(merged)] = explained
    return merged


def _on_day(name: str, index: int, values: dict[str, int], daily: dict[str, int]) -> int | None:
    """A count on the span's day ``index``: the span's counts on its first day, a daily rate on each."""
    counted, rate = values.get(name) if index == 0 else None, daily.get(name)
    if counted is None or rate is None:
        return rate if counted is None else counted
    return counted + rate


def _date_notes(activities: list[ParsedActivity], today: dt.date) -> list[str]:
    notes = []
    for activity in activities:
        if not activity.date_stated:
            notes.append(f"没写活动日期，已按发消息当天（{_month_day(today)}）记。")
        elif activity.date > today:
            notes.append(f"活动日期{_month_day(activity.date)}晚于发消息当天，请确认。")
    if len({a.source_text for a in activities}) < len(activities):
        notes.append("跨几天的活动按每天一条记，数字记在第一天。")
    return notes


def _month_day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"
