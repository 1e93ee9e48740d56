"""How records are said back to people (Chinese), in one place so every reply reads alike."""

from __future__ import annotations

from datetime import date

from storage.models import Activity

TYPE_LABELS: dict[str, str] = {
    "ceremony": "启动仪式",
    "publicity": "集中宣传",
    "visit": "走访企业",
    "exhibition": "成果展示",
    "training": "培训讲座",
    "media": "媒体宣传",
    "other": "其他活动",
}

# field -> (label, unit of measure); the order is the order they are said in.
COUNT_LABELS: dict[str, tuple[str, str]] = {
    "materials": ("发放资料", "份"),
    "consultations": ("咨询", "人次"),
    "participants": ("参与", "人"),
    "enterprises": ("企业", "家"),
    "articles": ("稿件", "篇"),
}

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


def say_date(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def say_counts(activity: Activity) -> str:
    parts = []
    for field, (label, measure) in COUNT_LABELS.items():
        value = getattr(activity, field)
        if value is not None:
            approx = "约" if activity.approximate.get(field) else ""
            parts.append(f"{label}{approx}{value}{measure}")
    return "，".join(parts)


def say_activity(activity: Activity) -> str:
    parts = [say_date(activity.date), TYPE_LABELS.get(activity.type, activity.type)]
    parts.append(activity.location or "地点未填")
    counts = say_counts(activity)
    if counts:
        parts.append(counts)
    return " · ".join(parts)


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
