"""Export speed and memory at city scale: 10,000 activities over 26 units, 2,000 photos.

    .venv/bin/python bench/exports.py [--keep DIR]

Seeds a fresh SQLite database (and a photo store of small generated JPEGs, processed by the real
intake pipeline) in a temporary directory, then for each format:
- build s: ``build_export`` end to end (read the snapshot, build, write the file), in process;
- peak MB: the same run again under tracemalloc (Python allocations only: libxml2 inside
  python-docx and libjpeg/libpng are not seen, hence the next column);
- CLI s / max RSS MB: ``weekbot export`` as a separate process (interpreter start and imports
  included, printed first as the baseline), its peak resident memory from wait4.
``--keep DIR`` seeds DIR instead and leaves it, for running ``weekbot export`` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from bot.config import Settings, load_config
from bot.demo import demo_photo
from bot.exports import FORMATS, build_export
from bot.runtime import Runtime
from scheduler.clock import TZ, ManualClock
from storage.imaging import process_photo
from storage.models import Activity, Liaison, Unit
from storage.photos import Photo, PhotoStatus
from storage.wording import COUNT_LABELS, TYPE_LABELS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
ACTIVITIES = 10_000
PHOTOS = 2_000
PHOTO_SIZE = (640, 480)
# Runs argv[1:], prints "seconds max_rss_kib exit_code".
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""
PLACES = ("新华路商圈", "人民广场", "市图书馆", "会展中心", "步行街", "高新区管委会", "县城广场", None)


def seed(settings: Settings, rng: random.Random) -> None:
    runtime = Runtime.create(settings, ManualClock(datetime(2026, 4, 27, 9, 0, tzinfo=TZ)))
    store = runtime.photos
    days = [settings.campaign.week_start + timedelta(days=n) for n in range(7)]

    def write(session: Session) -> None:
        units = session.exec(select(Unit)).all()
        liaisons = [
            Liaison(channel="wecom", user_id=f"bench{unit.id}", unit_id=unit.id or 0, bound_at=runtime.clock.now())
            for unit in units
        ]
        session.add_all(liaisons)
        session.flush()
        activities = []
        for number in range(ACTIVITIES):
            liaison = rng.choice(liaisons)
            day = rng.choice(days)
            reported = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=rng.uniform(8, 22))
            counts = {m: rng.randrange(1, 500) if rng.random() < 0.5 else None for m in COUNT_LABELS}
            activities.append(
                Activity(
                    unit_id=liaison.unit_id,
                    liaison_id=liaison.id,
                    date=day,
                    type=rng.choice(list(TYPE_LABELS)),
                    location=rng.choice(PLACES),
                    approximate={m: True for m, v in counts.items() if v and rng.random() < 0.1},
                    text=f"第{number}条：今天开展知识产权宣传活动",
                    created_at=reported,
                    updated_at=reported,
                    **counts,
                )
            )
        session.add_all(activities)
        session.flush()
        for number in range(PHOTOS):
            activity = rng.choice(activities)
            taken = datetime.combine(activity.date, datetime.min.time(), TZ) + timedelta(hours=10)
            processed = process_photo(demo_photo(number, taken, PHOTO_SIZE))
            paths = store.save(processed)
            session.add(
                Photo(
                    unit_id=activity.unit_id,
                    liaison_id=activity.liaison_id,
                    activity_id=activity.id,
                    sha256=processed.sha256,
                    phash=processed.phash,
                    width=processed.width,
                    height=processed.height,
                    taken_at=processed.taken_at,
                    original_path=paths.original,
                    web_path=paths.web,
                    thumb_path=paths.thumb,
                    status=PhotoStatus.READY,
                    created_at=activity.created_at,
                )
            )

    runtime.db.call(write)
    runtime.close()


async def build_once(settings: Settings, fmt: str, out: Path) -> float:
    runtime = Runtime.create(settings, ManualClock(datetime(2026, 4, 27, 9, 0, tzinfo=TZ)))
    try:
        start = time.perf_counter()
        await build_export(runtime.export_source(), fmt, out)
        return time.perf_counter() - start
    finally:
        runtime.close()


def traced_peak_mb(settings: Settings, fmt: str, out: Path) -> float:
    tracemalloc.start()
    try:
        asyncio.run(build_once(settings, fmt, out))
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, max RSS in MB) of one process, started from a small launcher: a child forked
    from this (large) process would report this process's peak as its own."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    try:
        seconds, max_rss_kib, code = done.stdout.split()
    except ValueError:
        raise SystemExit(f"launcher failed: {done.stderr}") from None
    if int(code) != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code})")
    return float(seconds), int(max_rss_kib) / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="seed this directory and leave it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="weekbot-bench-exports-") as scratch:
        run(args.keep or Path(scratch))


def run(data_dir: Path) -> None:
    settings = load_config(EXAMPLE, env={"WEEKBOT_DATA_DIR": str(data_dir)})
    started = time.perf_counter()
    seed(settings, random.Random(2026))
    print(
        f"seeded {ACTIVITIES:,} activities over {len(settings.units)} units and {PHOTOS:,} photos"
        f" ({PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG) in {time.perf_counter() - started:.1f} s"
    )
    env = {**os.environ, "WEEKBOT_DATA_DIR": str(data_dir)}
    # What the CLI process weighs before exporting anything: interpreter and imported libraries.
    idle_seconds, idle_rss = timed_process([sys.executable, "-c", "import bot.cli, bot.exports, bot.runtime"], env)
    print(f"CLI baseline (start-up and imports only): {idle_seconds:.2f} s, max RSS {idle_rss:.0f} MB")
    print(f"{'format':<7}{'build s':>9}{'peak MB':>9}{'file MB':>9}{'CLI s':>8}{'max RSS MB':>12}")
    out_dir = data_dir / "exports"
    for fmt, (_, name) in FORMATS.items():
        out = out_dir / name
        seconds = asyncio.run(build_once(settings, fmt, out))
        peak = traced_peak_mb(settings, fmt, out)
        command = [sys.executable, "-m", "bot.cli", "export", "--format", fmt, "--out", str(out_dir / f"cli-{name}")]
        cli_seconds, rss = timed_process([*command, "--config", str(EXAMPLE)], env)
        size = out.stat().st_size / 1e6
        print(f"{fmt:<7}{seconds:>9.2f}{peak:>9.1f}{size:>9.1f}{cli_seconds:>8.2f}{rss:>12.0f}")


if __name__ == "__main__":
    main()
