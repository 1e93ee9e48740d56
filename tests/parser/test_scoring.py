"""The parser scored by the shared scorer (/work/shared/tools/score_parse.py) as a subprocess,
on the shared samples and on this directory's corpus, against the issue's thresholds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.parser import make_corpus

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared"
SCORER = SHARED / "tools" / "score_parse.py"
SAMPLES = SHARED / "samples" / "reports.json"
PARSER = [sys.executable, "-m", "bot.cli", "parse", "--batch", "--config", str(ROOT / "config.example.toml")]
MIN_FIELD_ACCURACY = 0.97
MIN_WHOLE_CASES = 0.90
_SUMMARY = re.compile(r"field accuracy (\d+)/(\d+) = [\d.]+; whole cases right (\d+)/(\d+)")


def _score(samples: Path) -> tuple[float, float, str]:
    for needed in (SCORER, samples):
        if not needed.is_file():
            pytest.fail(f"{needed.resolve()} is missing: the parser tests need /work/shared beside the repo")
    run = subprocess.run(
        [sys.executable, str(SCORER), str(samples), "--", *PARSER],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=600,
        check=True,
    )
    assert "parser exited" not in run.stdout, run.stdout
    summary = _SUMMARY.search(run.stdout.strip().splitlines()[-1])
    assert summary, run.stdout
    hit, total, right, cases = map(int, summary.groups())
    return hit / total, right / cases, run.stdout


@pytest.mark.parametrize("samples", [SAMPLES, make_corpus.CORPUS], ids=["shared-samples", "corpus"])
def test_scores_meet_the_thresholds(samples: Path) -> None:
    field_accuracy, whole_cases, report = _score(samples)
    assert field_accuracy >= MIN_FIELD_ACCURACY, report
    assert whole_cases >= MIN_WHOLE_CASES, report


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
