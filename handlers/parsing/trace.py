"""Which rule decided each field of a reading, for `weekbot parse --explain`.

The reader and the stages it calls take an optional ``Trace``: None on the normal path (where a
stage records, one ``if trace is not None`` test; bench/parse.py's corpus mean does not move), a
``Trace`` when explaining, which the stages fill in as they decide, so an explanation is what
happened, not a second run guessing at it. Each explanation is a small dict: ``rule`` (the rule
that decided, in words) and, where there is one, ``text`` (what was written that made it so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

Explanation = dict[str, Any]
IntentT = TypeVar("IntentT", bound=str)


def because(rule: str, text: str | None = None, **details: Any) -> Explanation:
    """One explanation: the rule, the words written that it matched, and any details."""
    return {"rule": rule, **({"text": text} if text is not None else {}), **details}


@dataclass
class Trace:
    """What decided the intent, the unit and each activity's fields of one message."""

    intent: Explanation | None = None
    unit: Explanation | None = None
    # Stages' findings by start position in the message, looked up when a field is decided.
    date_finders: dict[int, str] = field(default_factory=dict)
    location_patterns: dict[int, str] = field(default_factory=dict)
    count_rules: dict[int, Explanation] = field(default_factory=dict)
    dates: dict[int, Explanation] = field(default_factory=dict)  # by the activity's segment start
    # Each activity's explanation by the activity's id(): the reading holds its activities, so
    # their ids are stable while it lives (activities that are equal values stay apart).
    activities: dict[int, dict[str, Explanation | list[Explanation]]] = field(default_factory=dict)

    def decided(self, intent: IntentT, rule: str) -> IntentT:
        """Record the classify branch that returned ``intent``; returns it."""
        self.intent = because(rule, intent=intent)
        return intent

    def of_activity(self, activity: object) -> dict[str, Explanation | list[Explanation]]:
        return self.activities.get(id(activity), {})


def explained(trace: Trace | None, intent: IntentT, rule: str) -> IntentT:
    """``intent``, recorded with the rule that decided it when explaining."""
    return intent if trace is None else trace.decided(intent, rule)
