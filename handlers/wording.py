"""Words people use in chat to name a record's fields and types, and the correction hint."""

from __future__ import annotations

from storage.wording import TYPE_LABELS

# Words people use for a field in correction commands (改 人数 500).
FIELD_WORDS: dict[str, str] = {
    "日期": "date",
    "时间": "date",
    "类型": "type",
    "地点": "location",
    "地址": "location",
    "资料": "materials",
    "份数": "materials",
    "咨询": "consultations",
    "人次": "consultations",
    "人数": "participants",
    "参与": "participants",
    "企业": "enterprises",
    "家数": "enterprises",
    "稿件": "articles",
    "篇数": "articles",
}

CORRECTION_HINT = "如有出入，发“改 人数 500”“改 地点 新华路商圈”更正最近一条，发“撤回”撤回。"

# Words people use for a type when answering a question or correcting a record.
TYPE_WORDS: dict[str, str] = {
    **{label: kind for kind, label in TYPE_LABELS.items()},
    "启动": "ceremony",
    "仪式": "ceremony",
    "宣传": "publicity",
    "走访": "visit",
    "调研": "visit",
    "上门": "visit",
    "展示": "exhibition",
    "展览": "exhibition",
    "展销": "exhibition",
    "培训": "training",
    "讲座": "training",
    "报告会": "training",
    "媒体": "media",
    "报道": "media",
    "宣传稿": "media",
    "推送": "media",
    "其他": "other",
}


def type_from_words(text: str) -> str | None:
    """The activity type a short answer names (longest matching word wins)."""
    for word in sorted(TYPE_WORDS, key=len, reverse=True):
        if word in text:
            return TYPE_WORDS[word]
    return None
