"""Which unit a message reports for.

1. A unit named as the subject wins: 【市发展改革委】…, 【公安】…, "市中院今天…", "喀左局 前天…".
   For a bound sender the subject must open the message (before the first activity word), so
   "市中院法官为企业授课" from a county bureau stays the county bureau's report; and the
   sender's own unit named there wins over any other ("科技局、科协联合举办…" from the 科协).
2. 我委/我局/本局… mean the sender's bound unit; "市场监管局联合我局…" is the sender's report.
3. Not subjects: a partner or lead (联合/会同/协同/与/邀请/由… before it, …举办的/指导的 after it), a unit asked
   about (请问海关的活动…), a unit inside
   a location (在朝阳海关监管场所举行), and any place (凌源市, 建平县): places never override
   a bound sender. For an unbound sender only, a place opening the message (凌源市4月22日…)
   names that county's unit.
4. Else the sender's bound unit, else None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from handlers.parsing.directory import UnitDirectory, UnitMention
from handlers.parsing.locations import Location
from handlers.parsing.trace import Trace, because

_HEADER = re.compile(r"^\s*[【\[]([^】\]]{2,20})[】\]]")
_PARTNER_BEFORE = re.compile(
    r"(?:联合|会同|协同|携手|联手|配合|邀请|邀|协调|会商|与|和|同|及|、|向|到|赴|走进|深入|参加|参与"
    r"|出席|陪同|走访|指导|请|问|为|对|给|在|于|共同|至|应|由)\s*$"
)
# "由市知识产权局指导、…承办的培训": a lead unit named by 由 is no subject for a bound sender.
_PARTNER_AFTER = re.compile(r"\s*(?:举办|组织|主办|牵头|承办|协办|指导|支持|召开|开展)的")
# "市场监管局联合我局在…": the unit named is the sender's partner, the sender reports.
_JOINED_BY_SENDER = re.compile(
    r"(?:联合|会同|协同|携手|联手|配合|和|与|同)(?:我局|我委|我院|我办|我单位|我们|本局)"
    # "市公安局到我们市三中开展…，我局组织师生320人参加": the sender's part in another's event
    r"|(?:我局|我委|我院|我办|我单位)(?:组织|派|选派|安排|协助|配合)"
)

_OFFICE_ENDINGS = ("", "局", "委", "院", "办")

TEXT, BINDING = "text", "binding"


def resolve_unit(
    text: str,
    mentions: Sequence[UnitMention],
    locations: Sequence[Location],
    head_end: int,
    bound_unit: str | None,
    directory: UnitDirectory,
    trace: Trace | None = None,
) -> tuple[str | None, str | None]:
    """(unit, source) for a normalised message; source is "text", "binding" or None.

    ``head_end`` is where the message's first activity word is (its opening ends there); ``trace``
    records the rule that decided and what was written.
    """
    header = _HEADER.match(text)
    if header and (named := _header_unit(header.group(1), directory)):
        if trace is not None:
            trace.unit = because(
                "【】 header", header.group(1), source=TEXT, at=header.start(1), alias=header.group(1) != named
            )
        return named, TEXT
    subjects = [m for m in mentions if _is_subject(text, m, locations)]
    units = [m for m in subjects if not m.is_place]
    if bound_unit is not None:
        # "科技局、科协今天联合举办…" from the 科协: the sender's unit named in the opening is
        # one of those reporting, whichever is named first.
        own = next((m for m in mentions if m.unit == bound_unit and not m.is_place and m.start < head_end), None)
        if own is not None:
            _trace_mention(trace, "sender's own unit named in the opening", text, own)
            return bound_unit, TEXT
        if joined := _JOINED_BY_SENDER.search(text):
            if trace is not None:
                trace.unit = because(
                    "the sender joined by a partner (_JOINED_BY_SENDER)", joined.group(), source=TEXT, at=joined.start()
                )
            return bound_unit, TEXT
        units = [m for m in units if m.start < head_end]
    if units:
        _trace_mention(trace, "subject named in the text", text, units[0])
        return units[0].unit, TEXT
    if bound_unit is not None:
        if trace is not None:
            trace.unit = because("the sender's binding: no other unit is the subject", source=BINDING)
        return bound_unit, BINDING
    places = [m for m in subjects if m.is_place and m.start < head_end]
    if places:
        _trace_mention(trace, "place opening the message names its county's unit", text, places[0])
        return places[0].unit, TEXT
    if trace is not None:
        trace.unit = because("no unit named and no binding")
    return None, None


def _trace_mention(trace: Trace | None, rule: str, text: str, mention: UnitMention) -> None:
    if trace is not None:
        written = text[mention.start : mention.end]
        trace.unit = because(rule, written, source=TEXT, at=mention.start, alias=written != mention.unit)


def _header_unit(header: str, directory: UnitDirectory) -> str | None:
    """The unit a 【】 header names; a header may drop the office ending (【公安】, 【海关】)."""
    for ending in _OFFICE_ENDINGS:
        if named := directory.canonical(header + ending):
            return named
    return None


def _is_subject(text: str, mention: UnitMention, locations: Sequence[Location]) -> bool:
    if any(loc.start <= mention.start < loc.end for loc in locations):
        return False
    if _PARTNER_BEFORE.search(text, 0, mention.start):
        return False
    return _PARTNER_AFTER.match(text, mention.end) is None
