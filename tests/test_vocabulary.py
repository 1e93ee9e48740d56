"""The vocabulary is declared once: the model, the parser and the texts derived from it agree, and
no other module spells a type's or count kind's key."""

from __future__ import annotations

import ast
import dataclasses
import typing
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Integer

from handlers.corrections import USAGE
from handlers.parsing import ACTIVITY_TYPES, COUNT_FIELDS, ParsedActivity
from handlers.report_routes import ASK_TYPE
from handlers.wording import FIELD_WORDS, type_from_words
from scheduler.cards import CardKind, activity_type_card
from storage.models import Activity
from storage.vocabulary import ActivityType, CountKind, CountTerms, TypeTerms, arrangements, as_type, by_unit

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage", "scheduler")
KEYS = {*ActivityType, *CountKind}
# Migrations are frozen history: a revision spells the columns as they were, never importing the
# vocabulary of a later day.
FROZEN = ("storage/migrations/",)
# The same word meaning something else: WeChat's upload form field and the sandbox page's JSON
# key "media" (an uploaded file), the desk's merge form field "other" (the other record).
HOMONYMS = {
    ("bot/wechat_api/wecom.py", "media"),
    ("bot/sandbox/platform.py", "media"),
    ("bot/sandbox/chat_page.py", "media"),
    ("bot/dashboard/edits.py", "other"),
}
MAX_FILES_PER_KEY = 2


def key_literals(root: Path = ROOT) -> dict[str, set[str]]:
    """Key -> the source files (relative paths) that spell it as a string constant."""
    found: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(FROZEN):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in KEYS and (relative, node.value) not in HOMONYMS:
                    found[node.value].add(relative)
    return found


def test_each_key_is_spelled_in_at_most_two_source_files() -> None:
    spelled = key_literals()
    too_many = {key: sorted(files) for key, files in spelled.items() if len(files) > MAX_FILES_PER_KEY}
    assert not too_many, f"keys spelled as literals outside the vocabulary: {too_many}"
    assert all("storage/vocabulary.py" in files for files in spelled.values())


def test_the_scanner_finds_a_key_spelled_elsewhere(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "handlers" / "a.py").write_text('kind = "publicity"\n')
    (tmp_path / "storage" / "b.py").write_text('LABELS = {"consultations": "咨询"}\n"""publicity, a docstring"""\n')
    (tmp_path / "bot" / "wechat_api").mkdir()
    (tmp_path / "bot" / "wechat_api" / "wecom.py").write_text('field = "media"\n')
    assert key_literals(tmp_path) == {"publicity": {"handlers/a.py"}, "consultations": {"storage/b.py"}}


def test_every_key_has_its_terms_and_no_word_names_two() -> None:
    assert all(isinstance(kind.terms, TypeTerms) for kind in ActivityType)
    assert all(isinstance(kind.terms, CountTerms) for kind in CountKind)
    assert ActivityType("publicity") is ActivityType.PUBLICITY and CountKind.MATERIALS == "materials"
    assert len({kind.label for kind in ActivityType}) == len(ActivityType)
    assert len({kind.terms.colour for kind in ActivityType}) == len(ActivityType)
    type_words = [w for kind in ActivityType for w in (kind.label, *kind.terms.words)]
    assert len(type_words) == len(set(type_words))
    count_words = [w for kind in CountKind for w in kind.terms.words]
    assert len(count_words) == len(set(count_words))
    assert len({kind.unit for kind in CountKind}) == len(CountKind)
    assert by_unit()[0] == ("人次", CountKind.CONSULTATIONS)  # before 人: "40人次" is no head count


def test_the_activity_columns_are_the_count_kinds() -> None:
    table = Activity.__table__  # type: ignore[attr-defined]
    counts = {
        column.name
        for column in table.columns
        if isinstance(column.type, Integer) and column.nullable and not column.primary_key and not column.foreign_keys
    }
    assert counts == set(CountKind)


def test_the_parsers_reading_model_matches() -> None:
    assert tuple(CountKind) == COUNT_FIELDS
    assert tuple(ActivityType) == ACTIVITY_TYPES
    hints = typing.get_type_hints(ParsedActivity)
    counted = {f.name for f in dataclasses.fields(ParsedActivity) if hints[f.name] == int | None}
    assert counted == set(CountKind)


def test_the_notices_arrangements_in_its_order() -> None:
    # 五、具体活动安排: （一）启动仪式 （二）集中宣传 （三）走访企业 （四）成果展示 （五）培训
    assert arrangements() == [
        ActivityType.CEREMONY,
        ActivityType.PUBLICITY,
        ActivityType.VISIT,
        ActivityType.EXHIBITION,
        ActivityType.TRAINING,
    ]


def test_questions_help_and_buttons_derive_from_it() -> None:
    asked = [kind for kind in ActivityType if kind.terms.asked]
    assert ActivityType.CEREMONY not in asked
    assert all(kind.label in ASK_TYPE for kind in asked)
    buttons = activity_type_card("x").buttons
    assert [button.text for button in buttons] == [kind.label for kind in asked]
    assert all(button.key.startswith(CardKind.ACTIVITY_TYPE) for button in buttons)
    assert all(kind.terms.words[0] in USAGE for kind in CountKind)
    assert all(FIELD_WORDS[word] == kind for kind in CountKind for word in kind.terms.words)
    assert type_from_words("宣传稿") == ActivityType.MEDIA  # the longest word wins over 宣传
    assert type_from_words("其他活动") == ActivityType.OTHER


def test_of_looks_a_member_up_by_its_stored_key() -> None:
    for kind in [*ActivityType, *CountKind]:
        assert type(kind).of(str(kind)) is kind
    assert as_type("no-such-type") is None
    with pytest.raises(ValueError, match="CountKind"):
        CountKind.of(ActivityType.VISIT.value)  # another enum's key is no count kind
