"""How records are said to people (Chinese): type and count labels, dates, one-line records.

In storage because every room says records the same way: chat replies (handlers), digests
(scheduler), exports and the desk (bot).
"""

from __future__ import annotations

from datetime import date

from storage.models import Activity
from storage.vocabulary import ActivityType, CountKind, type_label

# Derived from the vocabulary, for the many places that look a stored key up.
TYPE_LABELS: dict[str, str] = {kind: kind.label for kind in ActivityType}
# count field -> (label, unit of measure); the order is the order they are said in.
COUNT_LABELS: dict[str, tuple[str, str]] = {kind: (kind.label, kind.unit) for kind in CountKind}

# Monday first, as date.weekday() counts.
WEEKDAYS = "一二三四五六日"

# WeChat refuses text messages over 2048 bytes (passive replies and pushes alike); keep a margin.
MAX_TEXT_BYTES = 2000
CLIPPED = "……（内容较长，已截断）"


def clip(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """``text`` cut at a line boundary to fit ``limit`` UTF-8 bytes, saying it was cut."""
    if len(text.encode()) <= limit:
        return text
    room = limit - len(CLIPPED.encode())
    kept = text.encode()[:room].decode("utf-8", errors="ignore")
    return kept.rsplit("\n", 1)[0] + "\n" + CLIPPED


def say_weekday(day: date) -> str:
    """周一 … 周日."""
    return f"周{WEEKDAYS[day.weekday()]}"


def say_date(day: date, last: date | None = None) -> str:
    """One day with its weekday, "4月22日（周三）"; a span from ``day`` to ``last``, "4月22日至24日"."""
    if last is None or last <= day:
        return f"{day.month}月{day.day}日（{say_weekday(day)}）"
    return say_span(day, last)


def say_span(first: date, last: date) -> str:
    """Days first..last: "4月22日至24日", "4月30日至5月2日"."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.month}月{first.day}日至{last.day}日"
    return f"{first.month}月{first.day}日至{last.month}月{last.day}日"


def say_span_of(activity: Activity) -> str | None:
    """A multi-day activity's span ("4月22日至24日"); None for a one-day one."""
    return say_span(activity.date, activity.last_day) if activity.last_day > activity.date else None


def say_days(activity: Activity) -> str:
    """When the activity was: its day, or its span."""
    return say_date(activity.date, activity.last_day)


def say_counts(activity: Activity) -> str:
    parts = []
    for kind, (label, unit) in COUNT_LABELS.items():  # the labels looked up once, not per record
        value = getattr(activity, kind)
        if value is not None:
            approx = "约" if activity.approximate.get(kind) else ""
            parts.append(f"{label}{approx}{value}{unit}")
    return "，".join(parts)


def say_activity(activity: Activity) -> str:
    parts = [say_days(activity), type_label(activity.type)]
    parts.append(activity.location or "地点未填")
    counts = say_counts(activity)
    if counts:
        parts.append(counts)
    return " · ".join(parts)
