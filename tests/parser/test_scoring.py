"""The parser's gate (see tests/parser/gate.py): the shared samples are all right, and every corpus
case is right but the pinned known failures (tests/parser/known_failures.txt), which shrink as fixes land."""

from __future__ import annotations

import json
from pathlib import Path

from tests.parser import gate, make_corpus

ROOT = Path(__file__).resolve().parents[2]


def test_every_shared_sample_is_right() -> None:
    wrong = gate.misses(gate.SAMPLES)
    assert not wrong, "\n".join(f"{case_id} {miss}" for case_id, missed in wrong.items() for miss in missed)


def test_every_corpus_case_is_right_but_the_known_failures() -> None:
    ids = {case["id"] for case in json.loads(make_corpus.CORPUS.read_text(encoding="utf-8"))}
    problems = gate.gate_problems(gate.misses(make_corpus.CORPUS), gate.read_known_failures(), ids)
    assert not problems, "\n".join(problems) + f"\n(deliberate changes only: {gate.REGENERATE})"


def test_corpus_json_is_built_from_the_hand_written_cases() -> None:
    assert make_corpus.CORPUS.read_text(encoding="utf-8") == make_corpus.render(), (
        "corpus.json is stale: run .venv/bin/python -m tests.parser.make_corpus"
    )


def test_corpus_covers_every_unit_intent_and_type() -> None:
    from bot.config import load_config
    from handlers.parsing import ACTIVITY_TYPES, INTENTS

    cases = make_corpus.build()
    units = {case["expected"]["unit"] for case in cases}
    types = {option for case in cases for slot in case["expected"]["types"] for option in slot.split("|")}
    assert {u.name for u in load_config(ROOT / "config.example.toml", env={}).units} <= units
    assert {case["expected"]["intent"] for case in cases} == set(INTENTS)
    assert types == set(ACTIVITY_TYPES)
    assert len(cases) >= 300


def test_the_gate_names_a_newly_wrong_case_and_a_pinned_case_now_right() -> None:
    wrong = {"pub001": [gate.Miss("materials", 600, 0)], "pub002": [gate.Miss("dates", ["2026-04-22"], [])]}
    known = {"pub002": {"dates", "unit"}, "pub003": {"location"}, "gone999": {"unit"}}
    problems = gate.gate_problems(wrong, known, {"pub001", "pub002", "pub003"})
    assert problems == [
        "pub001 materials: expected 600, got 0  (newly wrong: fix the parser)",
        "pub002 unit is right now: drop it from its line in known_failures.txt",
        "pub003 location is right now: remove it from known_failures.txt",
        "gone999 is in known_failures.txt but not in the corpus: remove it",
    ]


def test_known_failures_are_read_back_as_written(tmp_path: Path) -> None:
    wrong = {"pub001": [gate.Miss("types", ["media"], ["other"]), gate.Miss("location", "人民广场", [""])]}
    rendered = gate.render_known_failures(wrong)
    assert "pub001 types,location  # types: expected ['media'], got ['other']" in rendered
    (tmp_path / "known.txt").write_text(rendered, encoding="utf-8")
    assert gate.read_known_failures(tmp_path / "known.txt") == {"pub001": {"types", "location"}}
