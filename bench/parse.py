"""Parse time per message over the parser's corpus: mean, p99 and the longest; then over typical
full reports (the corpus reports with several activities or of 60 characters or more, and the
texts bench/webhook.py sends): mean, p50, p99, and the whole set's CPU time per message (the fastest
of 3 passes); --profile prints the functions that set spends most in (cProfile). With --growth, how
parse time grows with length over shapes that once made it superlinear (1, 4, 16, 64 KB each; the
ratio per 4x should be about 4, linear). With --dump FILE, every reading of the corpus and of the
shared samples as JSON, to check a speed-up changed no reading (diff the files of two runs; run
with PYTHONHASHSEED=0). Times are this process's CPU time (parsing is one thread), so that other
work on a shared machine does not count. Figures only, no pass/fail.

Run from the repo root: .venv/bin/python bench/parse.py [--rounds N] [--profile [--top N]]
[--growth [--max-seconds S]] [--dump FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import json
import pstats
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webhook_load import report as webhook_report  # bench/ is this script's directory, first on the path

from bot.config import load_config
from handlers.parsing import Reading, parse_report
from handlers.parsing.directory import UnitDirectory

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "parser" / "corpus.json"
SAMPLES = ROOT / ".." / "shared" / "samples" / "reports.json"
SIZES_KB = (1, 4, 16, 64)
# A typical full report: several activities, or a sentence long enough to carry place, date and counts.
TYPICAL_MIN_ACTIVITIES = 2
TYPICAL_MIN_CHARS = 60
WEBHOOK_TEXTS = 18  # report(i) repeats its places and kinds with period 6; 18 vary the numbers too
_PUNCTUATION_AND_SPACE = re.compile(r"[\s，,；;。！!？?：:、（）()“”《》【】]")

Case = tuple[str, dt.datetime, str | None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the corpus (default 5)")
    parser.add_argument("--growth", action="store_true", help="also time 1, 4, 16, 64 KB of each shape")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=20.0,
        help="with --growth: skip a shape's larger sizes after a parse this slow",
    )
    parser.add_argument("--repeats", type=int, default=3, help="with --growth: parses per size, the fastest counts")
    parser.add_argument("--shape", action="append", help="with --growth: only the shapes whose name has this")
    parser.add_argument("--dump", type=Path, help="write every reading of the corpus and the shared samples here")
    parser.add_argument("--profile", action="store_true", help="profile the typical full reports (cProfile)")
    parser.add_argument("--top", type=int, default=30, help="with --profile: how many functions to print")
    args = parser.parse_args()
    settings = load_config(ROOT / "config.example.toml", env={})
    units = UnitDirectory(settings.units)
    cases = _cases(CORPUS)
    if args.dump:
        ceremony_day = settings.ceremony.at.date() if settings.ceremony else None
        _dump(args.dump, units, ceremony_day, (settings.campaign.week_start, settings.campaign.week_end))
        return
    parse_report(*cases[0], units)  # warm up: regex compilation, cn2an's tables
    _corpus_times(cases, units, args.rounds)
    typical = _typical(CORPUS)
    _typical_times(typical, units, args.rounds)
    if args.profile:
        _profile(typical, units, args.top)
    if args.growth:
        _growth(cases, units, args.repeats, args.max_seconds, args.shape)


def _cases(path: Path) -> list[Case]:
    return [
        (case["text"], dt.datetime.fromisoformat(case["now"]), case["bound_unit"])
        for case in json.loads(path.read_text(encoding="utf-8"))
    ]


def _typical(path: Path) -> list[Case]:
    """The corpus reports labelled with several activities or written long, and the webhook bench's texts."""
    labelled = json.loads(path.read_text(encoding="utf-8"))
    full = [
        (case["text"], dt.datetime.fromisoformat(case["now"]), case["bound_unit"])
        for case in labelled
        if case["expected"]["intent"] == "report"
        and (
            len(case["expected"]["types"]) >= TYPICAL_MIN_ACTIVITIES
            or len(set(case["expected"]["dates"])) >= TYPICAL_MIN_ACTIVITIES
            or len(case["text"]) >= TYPICAL_MIN_CHARS
        )
    ]
    sent_at = dt.datetime(2026, 4, 22, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return full + [(webhook_report(i), sent_at, None) for i in range(WEBHOOK_TEXTS)]


def _per_message(cases: list[Case], units: UnitDirectory, rounds: int) -> list[float]:
    """Each parse's CPU time, sorted."""
    timings = []
    for _ in range(rounds):
        for text, now, bound in cases:
            start = time.process_time()
            parse_report(text, now, bound, units)
            timings.append(time.process_time() - start)
    return sorted(timings)


def _percentile(timings: list[float], fraction: float) -> float:
    return timings[min(len(timings) - 1, round(fraction * len(timings)))]


def _corpus_times(cases: list[Case], units: UnitDirectory, rounds: int) -> None:
    timings = _per_message(cases, units, rounds)
    p99 = _percentile(timings, 0.99)
    print(f"corpus: {len(cases)} messages x {rounds} rounds")
    print(f"mean {statistics.fmean(timings) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, max {timings[-1] * 1000:.3f} ms")


def _typical_times(cases: list[Case], units: UnitDirectory, rounds: int) -> None:
    """Per message (mean, p50, p99) and the whole set's CPU time per message, the fastest of 3 passes
    (per-parse clock reads round small parses; the pass total does not)."""
    timings = _per_message(cases, units, rounds)
    passes = _fastest(3, lambda: [parse_report(text, now, bound, units) for text, now, bound in cases])
    mean_chars = statistics.fmean(len(text) for text, _, _ in cases)
    print(f"typical full reports: {len(cases)} messages (mean {mean_chars:.0f} characters) x {rounds} rounds")
    print(
        f"mean {statistics.fmean(timings) * 1000:.3f} ms, p50 {_percentile(timings, 0.5) * 1000:.3f} ms,"
        f" p99 {_percentile(timings, 0.99) * 1000:.3f} ms; per message over the set"
        f" {passes / len(cases) * 1000:.3f} ms (fastest of 3 passes)"
    )


def _profile(cases: list[Case], units: UnitDirectory, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for text, now, bound in cases:
        parse_report(text, now, bound, units)
    profiler.disable()
    print(f"\nprofile of one pass over the typical full reports, top {top} by cumulative time:")
    pstats.Stats(profiler).sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)


def _growth(cases: list[Case], units: UnitDirectory, repeats: int, max_seconds: float, only: list[str] | None) -> None:
    """The fastest of ``repeats`` parses per size."""
    longest = max(cases, key=lambda case: len(case[0]))
    report = "在广场开展宣传发放资料100份，"  # the shapes after it are read as one report's clauses
    shapes: dict[str, tuple[str, str]] = {  # name -> (opening, what is repeated after it)
        "'a'": ("", "a"),
        "longest corpus report": ("", longest[0]),
        "①1份": ("", "①1份"),
        "1份，": ("", "1份，"),
        "digits": ("", "1234567890"),
        "unpunctuated Chinese": ("", _PUNCTUATION_AND_SPACE.sub("", longest[0])),
        "今天…发了200份；": ("", "今天在新华路搞了宣传，发了200份；"),
        # one long "name list" after 是: the attendee reader cleaned it with a quadratic regex
        "一是": ("", "一是"),
        # clauses with nothing in them, each waiting for the next
        "report + 嗯，": (report, "嗯，"),
        # a place in every clause
        "report + 在新华路，": (report, "在新华路，"),
        # pasted tables and forms: one activity per row, per form, per numbered row
        "table rows": ("日期\t地点\t活动内容\t发放资料（份）\n", "4月21日\t东风社区\t集中宣传\t300\n"),
        "bar table rows": (
            "| 日期 | 地点 | 活动内容 | 发放资料 |\n|---|---|---|---|\n",
            "| 4月21日 | 东风社区 | 集中宣传 | 300 |\n",
        ),
        "key：value forms": ("", "时间：4月21日\n地点：东风社区\n形式：集中宣传；入户走访\n发放资料：300份\n\n"),
        "numbered rows": ("", "活动1：4月21日，东风社区，集中宣传，资料300份\n"),
    }
    print(f"\n{'shape':<24}" + "".join(f"{f'{kb} KB':>20}" for kb in SIZES_KB))
    for name, (opening, unit) in shapes.items():
        if only and not any(part in name for part in only):
            continue
        cells, previous = [], None
        for kilobytes in SIZES_KB:
            if previous is not None and previous > max_seconds:
                cells.append("skipped")
                continue
            text = _utf8_prefix(opening + unit * (kilobytes * 1024 // len(unit.encode()) + 1), kilobytes * 1024)
            elapsed = _fastest(repeats, lambda text=text: parse_report(text, longest[1], longest[2], units))
            ratio = f" x{elapsed / previous:.1f}" if previous else ""
            cells.append(f"{elapsed * 1000:.1f} ms{ratio}")
            previous = elapsed
        print(f"{name:<24}" + "".join(f"{cell:>20}" for cell in cells))


def _fastest(repeats: int, run: Callable[[], Any]) -> float:
    timings = []
    for _ in range(max(1, repeats)):
        start = time.process_time()
        run()
        timings.append(time.process_time() - start)
        if timings[-1] > 1.0:
            break  # slow enough that the load's noise does not matter
    return min(timings)


def _dump(path: Path, units: UnitDirectory, ceremony_day: dt.date | None, week: tuple[dt.date, dt.date]) -> None:
    """Each case read as the scorer's `weekbot parse --batch` reads it (the config's ceremony day and week),
    the whole Reading: notes, flags, source texts and attendees too."""
    readings: dict[str, Any] = {}
    for source in (CORPUS, SAMPLES):
        for case in json.loads(source.read_text(encoding="utf-8")):
            now = dt.datetime.fromisoformat(case["now"])
            reading = parse_report(
                case["text"], now, case["bound_unit"], units, ceremony_day=ceremony_day, campaign_week=week
            )
            readings[f"{source.stem}:{case['id']}"] = _plain(reading)
    path.write_text(json.dumps(readings, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(readings)} readings written to {path}")


def _plain(reading: Reading) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, frozenset | set):
            return sorted(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, list | tuple):
            return [convert(item) for item in value]
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        return value

    return convert(dataclasses.asdict(reading))


def _utf8_prefix(text: str, size: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 takes at most ``size`` bytes."""
    return text.encode()[:size].decode(errors="ignore")


if __name__ == "__main__":
    main()
