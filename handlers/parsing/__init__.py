"""The report parser: a liaison's free-text message → intent, unit, activities, attendees.

Modules: normalize (full-width → ASCII), numerals, dates (date_finders, date_runs), keywords
(activity types), counts (count_words, named_counts), columns, rows and tables (pasted tables),
locations, units (which unit reports), attendees, intent, splitting (several activities in one
message: clauses, boundaries), reader (parse_report), batch (the `weekbot parse` JSON Lines contract).
"""

from handlers.parsing.model import (
    ACTIVITY_TYPES,
    COUNT_FIELDS,
    INTENTS,
    Attendee,
    ParsedActivity,
    Reading,
)
from handlers.parsing.reader import parse_report

__all__ = [
    "ACTIVITY_TYPES",
    "COUNT_FIELDS",
    "INTENTS",
    "Attendee",
    "ParsedActivity",
    "Reading",
    "parse_report",
]
