"""Did a parser change alter any reading? Reads every labelled message (the corpus, the unseen
batches, the shared samples) with the parser of a git revision and with this checkout's, and
compares the outputs byte for byte: `weekbot parse --batch` (the scorer's JSON Lines), the whole
Reading of each message (notes, flags, source texts, attendees) and its `--explain` JSON. For a
speed-up the answer must be "identical"; exit status 1 and the first differences otherwise.

The revision is unpacked with `git archive` into a temporary directory (no worktree is added) and
run from there with this checkout's venv; the messages come from this checkout, so cases added
since the revision are read by both sides.

Run from the repo root: .venv/bin/python bench/parse_identity.py [--against REV] [--keep DIR]
(REV defaults to where this branch left main, `git merge-base main HEAD`: main itself moves on with
other branches' rule changes; after a merge, compare against the merge's parent without the speed-up).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.example.toml"
SOURCES = [
    ROOT / "tests" / "parser" / "corpus.json",
    *sorted((ROOT / "tests" / "parser" / "unseen").glob("*.json")),
    ROOT / ".." / "shared" / "samples" / "reports.json",
]
# Run inside the tree under test (its handlers.parsing, its bot.config): every message's whole
# Reading and its --explain JSON, one JSON line each. Sets are sorted, dates ISO.
FULL_READINGS = """
import dataclasses, datetime as dt, json, sys
from bot.config import load_config
from handlers.parsing import parse_report
from handlers.parsing.batch import parse_one
from handlers.parsing.directory import UnitDirectory

def plain(value):
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value

settings = load_config(sys.argv[1], env={})
units, ceremony_day = UnitDirectory(settings.units), settings.ceremony.at.date()
never = lambda: None
for line in sys.stdin:
    case = json.loads(line)
    now = dt.datetime.fromisoformat(case["now"])
    reading = parse_report(case["text"], now, case["bound_unit"], units, ceremony_day=ceremony_day)
    full = plain(dataclasses.asdict(reading))
    explained = json.loads(
        parse_one(case["text"], case["now"], case["bound_unit"], units, never, ceremony_day, explain=True)
    )
    print(json.dumps({"id": case["id"], "reading": full, "explain": explained}, ensure_ascii=False, sort_keys=True))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", help="the git revision to compare with (default: git merge-base main HEAD)")
    parser.add_argument("--keep", type=Path, help="also write both sides' outputs into this directory")
    args = parser.parse_args()
    if args.against is None:
        base = subprocess.run(["git", "merge-base", "main", "HEAD"], cwd=ROOT, capture_output=True, check=True)
        args.against = base.stdout.decode().strip()
    lines = _input_lines()
    with tempfile.TemporaryDirectory(prefix="parse-identity-") as scratch:
        before_tree = Path(scratch)
        archive = subprocess.run(["git", "archive", args.against], cwd=ROOT, capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(before_tree, filter="data")
        before = _outputs(before_tree, lines)
    after = _outputs(ROOT, lines)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for side, outputs in (("before", before), ("after", after)):
            for name, data in outputs.items():
                (args.keep / f"{side}.{name}.jsonl").write_bytes(data)
    count = len(lines.splitlines())
    same = True
    for name in before:
        if before[name] == after[name]:
            print(f"{name}: identical ({count} messages, {len(after[name])} bytes)")
            continue
        same = False
        differing = [
            (old, new)
            for old, new in zip(before[name].splitlines(), after[name].splitlines(), strict=False)
            if old != new
        ]
        print(f"{name}: DIFFERENT ({len(differing)} of {count} lines)")
        for old, new in differing[:5]:
            print(f"  {args.against}: {old.decode()[:400]}\n  checkout: {new.decode()[:400]}")
    print(f"against {args.against}: " + ("no reading changed" if same else "readings changed"))
    return 0 if same else 1


def _input_lines() -> bytes:
    """Every message as one `weekbot parse --batch` input line."""
    rows = []
    for source in SOURCES:
        for case in json.loads(source.read_text(encoding="utf-8")):
            row = {"id": f"{source.stem}:{case['id']}", "text": case["text"], "now": case["now"]}
            rows.append({**row, "bound_unit": case.get("bound_unit")})
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def _outputs(tree: Path, lines: bytes) -> dict[str, bytes]:
    """The batch output and the full readings of the parser in ``tree`` (its modules shadow the
    venv's editable install: the tree is the working directory and first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    runs = {
        "batch": [sys.executable, "-m", "bot.cli", "parse", "--batch", "--config", str(CONFIG)],
        "full": [sys.executable, "-c", FULL_READINGS, str(CONFIG)],
    }
    outputs = {}
    for name, command in runs.items():
        done = subprocess.run(command, cwd=tree, env=env, input=lines, capture_output=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{name} in {tree} failed:\n{done.stderr.decode()[-2000:]}")
        outputs[name] = done.stdout
    return outputs


if __name__ == "__main__":
    sys.exit(main())
