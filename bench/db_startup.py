"""What opening an existing, up-to-date database costs at start-up: ``Database(url)`` then
``create_all()`` (the schema check and upgrade every command that opens the database runs).

    .venv/bin/python bench/db_startup.py [--rounds 20] [--database-url URL]

The database (SQLite in a temporary directory, or the empty PostgreSQL database given) is made
once, then each round opens it anew, brings it up to date (a no-op), and closes it. Prints the
first round (cold: imports and caches) and the median and max of the rest, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from storage.db import Database


def one_start(url: str) -> float:
    started = time.perf_counter()
    db = Database(url)
    db.create_all()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'weekbot.db'}"
        Database(url).create_all()
        times = [one_start(url) for _ in range(args.rounds)]
    rest = times[1:]
    median, slowest = statistics.median(rest), max(rest)
    print(f"{url.split(':')[0]}: first {times[0]:.1f} ms, then median {median:.1f} ms, max {slowest:.1f} ms")


if __name__ == "__main__":
    main()
