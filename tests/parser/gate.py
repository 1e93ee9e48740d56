"""The parser's gate: every case of a labelled sample file is right, except the pinned known failures.

The parser runs as `weekbot parse --batch` (the scorer's contract) and each case is judged by the
shared scorer's own ``score_case`` (/work/shared/tools/score_parse.py), so "right" means what the
scorer means. tests/parser/known_failures.txt lists the corpus cases the parser gets wrong today,
one a line: ``<case id> <field>[,<field>…]  # <field>: expected …, got …``. It is written only
deliberately, from the current parser:

    .venv/bin/python -m tests.parser.make_corpus --known-failures
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared"
SCORER = SHARED / "tools" / "score_parse.py"
SAMPLES = SHARED / "samples" / "reports.json"
KNOWN_FAILURES = Path(__file__).with_name("known_failures.txt")
PARSER = [sys.executable, "-m", "bot.cli", "parse", "--batch", "--config", str(ROOT / "config.example.toml")]
REGENERATE = ".venv/bin/python -m tests.parser.make_corpus --known-failures"


@dataclass(frozen=True)
class Miss:
    """One field of one case the parser got wrong."""

    field: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected!r}, got {self.got!r}"


@cache
def _scorer() -> ModuleType:
    if not SCORER.is_file():
        raise FileNotFoundError(f"{SCORER.resolve()} is missing: the parser gate needs /work/shared beside the repo")
    spec = importlib.util.spec_from_file_location("score_parse", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected(expected: dict[str, Any], field: str) -> Any:
    """What the scorer compares a field against (counts not written are 0, dates a set)."""
    if field == "dates":
        return sorted(set(expected["dates"]))
    if field in _scorer().COUNTS:
        return int(expected.get(field) or 0)
    return expected[field]


def parse_all(cases: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Each case's reading by id, from the parser's batch command (as the scorer runs it)."""
    feed = "".join(
        json.dumps({key: case[key] for key in ("id", "text", "now", "bound_unit")}, ensure_ascii=False) + "\n"
        for case in cases
    )
    run = subprocess.run(
        PARSER, input=feed, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=600, check=True
    )
    answers = (json.loads(line) for line in run.stdout.splitlines() if line.startswith("{"))
    return {answer.get("id"): answer for answer in answers}


def misses(samples: Path) -> dict[str, list[Miss]]:
    """Every case of ``samples`` the parser gets wrong, by id, with the fields it misses."""
    cases = json.loads(samples.read_text(encoding="utf-8"))
    answers = parse_all(cases)
    wrong: dict[str, list[Miss]] = {}
    for case in cases:
        scored = _scorer().score_case(case["expected"], answers.get(case["id"], {}))
        missed = [Miss(field, _expected(case["expected"], field), got) for field, ok, got in scored if not ok]
        if missed:
            wrong[case["id"]] = missed
    return wrong


def read_known_failures(path: Path = KNOWN_FAILURES) -> dict[str, set[str]]:
    """The pinned failures: case id -> the fields it is known to miss (comments and blank lines skipped)."""
    known: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].split()
        if entry:
            case_id, fields = entry
            known[case_id] = set(fields.split(","))
    return known


def render_known_failures(wrong: dict[str, list[Miss]]) -> str:
    header = (
        "# Corpus cases the parser gets wrong today: <case id> <fields missed>  # expected and got.\n"
        "# tests/parser/test_scoring.py fails when any other case is wrong, and when a case below is now\n"
        "# right (remove its line). Regenerate only deliberately: " + REGENERATE + "\n"
    )
    lines = [
        f"{case_id} {','.join(m.field for m in missed)}  # {'; '.join(map(str, missed))}"
        for case_id, missed in wrong.items()
    ]
    return header + "".join(line.replace("\n", " ") + "\n" for line in lines)


def gate_problems(wrong: dict[str, list[Miss]], known: dict[str, set[str]], known_ids: set[str]) -> list[str]:
    """Why the gate fails: a case or field newly wrong, a pinned one now right, a pinned id unknown."""
    problems = [
        f"{case_id} {miss}  (newly wrong: fix the parser)"
        for case_id, missed in wrong.items()
        for miss in missed
        if miss.field not in known.get(case_id, set())
    ]
    for case_id, fields in known.items():
        if case_id not in known_ids:
            problems.append(f"{case_id} is in known_failures.txt but not in the corpus: remove it")
            continue
        now_right = fields - {miss.field for miss in wrong.get(case_id, [])}
        if now_right:
            fix = "remove it from" if now_right == fields else "drop it from its line in"
            problems.append(f"{case_id} {','.join(sorted(now_right))} is right now: {fix} known_failures.txt")
    return problems
