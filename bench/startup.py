"""Start-up time and memory of the processes an operator runs.

    .venv/bin/python bench/startup.py [--rounds 3] [--workers 2]

- ``weekbot serve`` (the example config: SQLite, the sandbox platform on): seconds from exec until
  ``GET /healthz`` answers 200, then the resident memory (RSS) of every process of the service
  (the supervisor and its workers with ``--workers N``), read from /proc.
- ``weekbot parse`` and ``weekbot plan`` as processes: wall seconds and max RSS (commands that must
  not import matplotlib, openpyxl, python-docx or Playwright).
- ``weekbot export --format xlsx``: wall seconds and max RSS of one export of an empty, migrated database.

Each figure is the fastest (time) or the largest (memory) of ``--rounds`` runs, measured in this run.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEEKBOT = [str(ROOT / ".venv" / "bin" / "weekbot")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "WEEKBOT_DATA_DIR": str(data_dir), "WEEKBOT_CONFIG": str(ROOT / "config.example.toml")}


def rss_mb(pid: int) -> float:
    """Resident memory of one process, from /proc/<pid>/status (VmRSS, kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        found += [int(kid) for kid in kids]
    return found


def serve_once(workers: int) -> tuple[float, list[float]]:
    """(seconds until /healthz answers 200, RSS in MB of each process of the service)."""
    with tempfile.TemporaryDirectory(prefix="weekbot-startup-") as tmp:
        port = free_port()
        command = [*WEEKBOT, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        began = time.perf_counter()
        proc = subprocess.Popen(
            command, env=environment(Path(tmp)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"weekbot serve exited {proc.returncode}")
                try:
                    with urllib.request.urlopen(url, timeout=1) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    time.sleep(0.02)
            ready = time.perf_counter() - began
            time.sleep(1.0)  # let the workers finish their own start-up before reading memory
            pids = [proc.pid, *children(proc.pid)]
            return ready, [rss_mb(pid) for pid in pids]
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def command_once(args: list[str], data_dir: Path) -> tuple[float, float]:
    """(wall seconds, max RSS in MB) of one CLI process; RSS from the wait4() rusage of that child."""
    began = time.perf_counter()
    proc = subprocess.Popen([*WEEKBOT, *args], env=environment(data_dir), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"weekbot {' '.join(args)} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cores, best of {args.rounds}"
    )
    for workers in sorted({1, args.workers}):
        runs = [serve_once(workers) for _ in range(args.rounds)]
        ready = min(seconds for seconds, _ in runs)
        sizes = max((sizes for _, sizes in runs), key=sum)
        each = " + ".join(f"{mb:.0f}" for mb in sizes)
        print(f"serve --workers {workers}: ready in {ready:.2f} s; RSS {sum(sizes):.0f} MB ({each})")
    with tempfile.TemporaryDirectory(prefix="weekbot-cli-") as tmp:
        data_dir = Path(tmp)
        command_once(["db", "upgrade"], data_dir)  # the export reads an existing database
        out = data_dir / "ledger.xlsx"
        commands = {
            "parse": ["parse", "4月22日在市政务服务中心开展集中宣传，发放资料200份，咨询15人次"],
            "plan": ["plan"],
            "export xlsx": ["export", "--format", "xlsx", "--out", str(out)],
        }
        for name, cli_args in commands.items():
            runs = [command_once(cli_args, data_dir) for _ in range(args.rounds)]
            print(f"weekbot {name:<12} {min(s for s, _ in runs):.2f} s, max RSS {max(mb for _, mb in runs):.0f} MB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this script itself: max RSS {own:.0f} MB)")


if __name__ == "__main__":
    main()
