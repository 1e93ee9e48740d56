"""Words people use in chat to name a record's fields and types, and the correction hint."""

from __future__ import annotations

from storage.vocabulary import ActivityType, field_words, type_words

# Words people use for a field in correction commands (改 人数 500); the first word for each
# field names it in help and questions.
FIELD_WORDS: dict[str, str] = field_words()

CORRECTION_HINT = "如有出入，发“改 人数 500”“改 地点 新华路商圈”更正最近一条，发“撤回”撤回。"

# Words people use for a type when answering a question or correcting a record.
TYPE_WORDS: dict[str, ActivityType] = type_words()


def type_from_words(text: str) -> ActivityType | None:
    """The activity type a short answer names (longest matching word wins)."""
    for word in sorted(TYPE_WORDS, key=len, reverse=True):
        if word in text:
            return TYPE_WORDS[word]
    return None
