"""Parse time per message over the parser's corpus: mean, p99 and the longest; and how parse time
grows with length (1, 4, 16, 64 KB of 'a' and of a real report repeated; the ratio per 4x should
be about 4, linear). Figures only, no pass/fail.

Run from the repo root: .venv/bin/python bench/parse.py [--rounds N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from pathlib import Path

from bot.config import load_config
from handlers.parsing import parse_report
from handlers.units import UnitDirectory

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "parser" / "corpus.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the corpus (default 5)")
    args = parser.parse_args()
    units = UnitDirectory(load_config(ROOT / "config.example.toml", env={}).units)
    cases = [
        (case["text"], dt.datetime.fromisoformat(case["now"]), case["bound_unit"])
        for case in json.loads(CORPUS.read_text(encoding="utf-8"))
    ]
    parse_report(*cases[0], units)  # warm up: regex compilation, cn2an's tables
    timings = []
    for _ in range(args.rounds):
        for text, now, bound in cases:
            start = time.perf_counter()
            parse_report(text, now, bound, units)
            timings.append(time.perf_counter() - start)
    timings.sort()
    p99 = timings[min(len(timings) - 1, round(0.99 * len(timings)))]
    print(f"{len(cases)} messages x {args.rounds} rounds")
    print(f"mean {statistics.fmean(timings) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, max {timings[-1] * 1000:.3f} ms")
    longest = max(cases, key=lambda case: len(case[0]))
    for name, unit in (("'a'", "a"), ("a real report repeated", longest[0])):
        previous = None
        for kilobytes in (1, 4, 16, 64):
            text = _utf8_prefix(unit * (kilobytes * 1024 // len(unit.encode()) + 1), kilobytes * 1024)
            start = time.perf_counter()
            parse_report(text, longest[1], longest[2], units)
            elapsed = time.perf_counter() - start
            ratio = f", x{elapsed / previous:.1f} per 4x" if previous else ""
            print(f"{name}: {kilobytes} KB ({len(text)} chars) {elapsed * 1000:.1f} ms{ratio}")
            previous = elapsed


def _utf8_prefix(text: str, size: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 takes at most ``size`` bytes."""
    return text.encode()[:size].decode(errors="ignore")


if __name__ == "__main__":
    main()
