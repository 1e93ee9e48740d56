"""The reader's explanations (`weekbot parse --explain`): what decided each activity's fields.

Called by the reader only with a ``Trace`` (see trace), from what the stages already found and
recorded: the date finder and location pattern by position, the deciding word of each count.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.parsing.clauses import Found, Segment
from handlers.parsing.counts import Count
from handlers.parsing.date_finders import DateMention
from handlers.parsing.keywords import best
from handlers.parsing.locations import Location
from handlers.parsing.model import COUNT_FIELDS, ParsedActivity
from handlers.parsing.trace import Explanation, Trace, because
from storage.vocabulary import CountKind

# Mentions the finders did not write themselves: 次日/当日 counted from the date before them.
FOLLOWING_DAY = "following_days (次日/翌日/当日 after a date)"


def trace_date(
    trace: Trace | None, segment: Segment, rule: str, plain: str = "", mention: DateMention | None = None
) -> None:
    """Record the rule that gave ``segment`` its days, and the date written that it took."""
    if trace is None:
        return
    if mention is None:
        trace.dates[segment.start] = because(rule)
        return
    finder = trace.date_finders.get(mention.start, FOLLOWING_DAY)
    trace.dates[segment.start] = because(rule, plain[mention.start : mention.end], finder=finder)


def explain_activities(
    trace: Trace,
    activities: Sequence[ParsedActivity],
    segment: Segment,
    found: Found,
    counts: Sequence[Count],
    places: Sequence[Location],
) -> None:
    """Record, for each activity made of ``segment``, what decided its date, type, location and counts."""
    explained: dict[str, Explanation | list[Explanation]] = {
        "date": trace.dates.get(segment.start, because("message day")),
        "type": _type(segment, found),
    }
    chosen = next((loc for loc in places if loc.text == activities[0].location), None) if activities else None
    if chosen is not None:
        pattern = trace.location_patterns.get(chosen.start, "?")
        ranked = "labelled first, then where it happened (在/于), then the first" if len(places) > 1 else None
        explained["location"] = because(pattern, chosen.text, **({"chosen": ranked} if ranked else {}))
    for index, activity in enumerate(activities):
        fields = dict(explained)
        for name in COUNT_FIELDS:
            if getattr(activity, name) is not None:
                fields[name] = _count(trace, name, counts, found) if index == 0 or _daily(name, counts) else []
        trace.activities[id(activity)] = fields


def explain_rows(trace: Trace, activities: Sequence[ParsedActivity]) -> None:
    """Record what decided each activity read from a table row or a key：value form (tables, blocks):
    every field comes from the cell under its column, read by the field's own reader."""
    for activity in activities:
        fields: dict[str, Explanation | list[Explanation]] = {
            "date": because("the row's date cell") if activity.date_stated else because("message day"),
            "type": because("the keyword of the row's content", type=activity.type)
            if activity.type_stated
            else because("no activity word: other"),
        }
        if activity.location is not None:
            fields["location"] = because("the row's place cell", activity.location)
        for name in COUNT_FIELDS:
            if (value := getattr(activity, name)) is not None:
                fields[name] = [because("the row's number cell or the counts in its words", number=value)]
        trace.activities[id(activity)] = fields


def _type(segment: Segment, found: Found) -> Explanation:
    decider = segment.head or best(segment.weak)
    if decider is None:
        return because("no activity word: other")
    rule = "the activity's keyword" if segment.head else "the strongest weak keyword"
    return because(rule, found.evidence[decider.start : decider.end], type=decider.type, strong=decider.strong)


def _daily(name: str, counts: Sequence[Count]) -> bool:
    return any(c.field == name and c.quantity.per_day for c in counts)


def _count(trace: Trace, name: str, counts: Sequence[Count], found: Found) -> list[Explanation]:
    """Each number that went into the count ``name``, with what decided it."""
    mine = [c for c in counts if c.field == name]
    if not mine:
        # No number of its own: enterprises named as visited, or an issue published (第3期).
        rule = "companies named as visited" if name == CountKind.ENTERPRISES else "an issue published (published_issue)"
        return [because(rule)]
    stated_total = any(c.total for c in mine)
    explanations = []
    for count in mine:
        quantity = count.quantity
        decided = (
            trace.count_rules.get(quantity.start, because("?"))
            if quantity.unit
            else because("labelled number (label then number)")
        )
        number = found.evidence[quantity.start : quantity.end]
        total = {"total": True} if count.total else {"left_out": "a total is stated"} if stated_total else {}
        explanations.append({"number": number, **decided, **total, **({"per_day": True} if quantity.per_day else {})})
    return explanations
