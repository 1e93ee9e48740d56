"""`weekbot parse`: one message → one JSON object; JSON Lines in → JSON Lines out.

Input line: {"id", "text", "now" (ISO 8601, optional), "bound_unit" (optional)}.
Output line: {"id", "intent", "unit", "activities": [{"date", "end_date" (the last day, == date for one
day), "type", "location", "materials",
"consultations", "participants", "enterprises", "articles"}, ...]}; a line that cannot be read
gives {"id", "error"} and the batch goes on. With ``explain`` (`weekbot parse --explain TEXT`) the reading
has an "explain" key, and so has each activity: the rule that decided each field (see trace).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TextIO

from handlers.parsing.directory import UnitDirectory
from handlers.parsing.model import COUNT_FIELDS, Reading
from handlers.parsing.reader import parse_report
from handlers.parsing.trace import Trace

# The moment a line without "now" was written (the caller's clock: the parser reads none).
Now = Callable[[], dt.datetime]
# The campaign's first and last day (the config's [campaign] week), what "整个宣传周" names.
Week = tuple[dt.date, dt.date] | None


def reading_json(reading: Reading, case_id: Any = None) -> dict[str, Any]:
    return {
        "id": case_id,
        "intent": reading.intent,
        "unit": reading.unit,
        "activities": [
            {
                "date": activity.date.isoformat(),
                "end_date": activity.end_date.isoformat(),
                "type": activity.type,
                "location": activity.location,
                **{name: getattr(activity, name) for name in COUNT_FIELDS},
            }
            for activity in reading.activities
        ],
    }


def explained_json(reading: Reading, trace: Trace) -> dict[str, Any]:
    """The reading as ``reading_json`` gives it, with what decided each field."""
    answer = reading_json(reading)
    answer["explain"] = {"intent": trace.intent, "unit": trace.unit}
    for activity, shown in zip(reading.activities, answer["activities"], strict=True):
        shown["explain"] = trace.of_activity(activity)
    return answer


def _read(
    text: str,
    now_iso: str | None,
    bound_unit: str | None,
    units: UnitDirectory,
    now: Now,
    ceremony_day: dt.date | None,
    trace: Trace | None = None,
    campaign_week: Week = None,
) -> Reading:
    written = dt.datetime.fromisoformat(now_iso) if now_iso else now()
    return parse_report(
        text, written, bound_unit, units, ceremony_day=ceremony_day, campaign_week=campaign_week, trace=trace
    )


def parse_one(
    text: str,
    now_iso: str | None,
    bound_unit: str | None,
    units: UnitDirectory,
    now: Now,
    ceremony_day: dt.date | None = None,
    *,
    explain: bool = False,
    campaign_week: Week = None,
) -> str:
    """One message's reading as JSON; with ``explain``, indented for a person, with what decided each field."""
    if not explain:
        reading = _read(text, now_iso, bound_unit, units, now, ceremony_day, campaign_week=campaign_week)
        return json.dumps(reading_json(reading), ensure_ascii=False)
    trace = Trace()
    reading = _read(text, now_iso, bound_unit, units, now, ceremony_day, trace, campaign_week)
    return json.dumps(explained_json(reading, trace), ensure_ascii=False, indent=2)


def parse_batch(
    instream: TextIO,
    outstream: TextIO,
    units: UnitDirectory,
    now: Now,
    ceremony_day: dt.date | None = None,
    campaign_week: Week = None,
) -> None:
    """``ceremony_day``: the launch ceremony's day (the config's [ceremony]); with it an undated
    ceremony attended reads as that day's. ``campaign_week``: see Week."""
    for line in instream:
        if not line.strip():
            continue
        case_id = None
        try:
            case = json.loads(line)
            case_id = case.get("id")
            text, now_iso, bound_unit = case.get("text") or "", case.get("now"), case.get("bound_unit")
            reading = _read(text, now_iso, bound_unit, units, now, ceremony_day, campaign_week=campaign_week)
            answer = reading_json(reading, case_id)
        except (ValueError, TypeError, AttributeError) as exc:
            answer = {"id": case_id, "error": f"{type(exc).__name__}: {exc}"}
        outstream.write(json.dumps(answer, ensure_ascii=False) + "\n")
        outstream.flush()
