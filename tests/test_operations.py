"""Operations, with real processes: one process per data directory, /healthz of a running `serve`,
log lines on the campaign's (virtual) time, and CLI output into a pipe that closes early."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

from bot.cli.closed_pipe import EXIT_PIPE_CLOSED
from tests.conftest import ROOT
from tests.test_cli_serve_say import WEEKBOT, _config

# A rehearsal's clock: the campaign's evening, on real-time speed (the test is not about pushes).
CLOCK = "virtual:2026-04-20T19:58:00+08:00:1"


def _start_serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[str], str]:
    """A `weekbot serve` on an ephemeral port, one process (its /healthz checks every worker); the
    process and its base URL."""
    argv = [*WEEKBOT, "serve", "--port", "0", "--workers", "1"]
    with log.open("a") as stderr:
        server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert server.stdout is not None
    started = re.search(r"serving on (\S+)", server.stdout.readline())
    assert started, log.read_text()
    return server, started.group(1)


def _healthz(base: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
        return response.status, json.loads(response.read())


def test_one_serve_per_data_directory_reports_health_and_logs_campaign_time(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WEEKBOT_DATA_DIR": str(tmp_path / "data"),
        "WEEKBOT_CONFIG": str(_config(tmp_path)),
        "WEEKBOT_CLOCK": CLOCK,
    }
    log = tmp_path / "serve.log"
    server, base = _start_serve(env, log)
    try:
        status, body = _healthz(base)
        assert status == 200 and body["status"] == "ok", body
        assert body["checks"] == {"database": "ok", "media_worker": "ok", "scheduler": "ok", "outbox_sender": "ok"}
        assert str(body["time"]).startswith("2026-04-20 ") and str(body["time"]).endswith("+08:00 [virtual]")

        for command in ("serve", "demo"):
            second = subprocess.run(
                [*WEEKBOT, command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
            )
            assert second.returncode == 2, second.stderr
            assert f"weekbot {command}: the data directory {tmp_path / 'data'} is in use" in second.stderr
            assert f"(pid {server.pid}, weekbot serve)" in second.stderr
            assert "Traceback" not in second.stderr and "serving on" not in second.stdout
        assert _healthz(base)[0] == 200  # the first one never noticed

        # The lock belongs to the process: killed without a chance to clean up, it leaves none.
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=20)
        server, base = _start_serve(env, log)
        assert _healthz(base)[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
    lines = log.read_text()
    listening = r"^2026-04-20 \d\d:\d\d:\d\d\+08:00 \[virtual\] INFO bot\.server\.serve: weekbot listening"
    assert re.search(listening, lines, re.M)


def test_plan_into_a_pipe_that_closes_early_ends_quietly(tmp_path: Path) -> None:
    # The reader is gone before the first write: the plan's output cannot fit a pipe's buffer by luck.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        plan = subprocess.run(
            [*WEEKBOT, "plan"], cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False
        )
    finally:
        os.close(write_end)
    assert (plan.returncode, plan.stderr) == (EXIT_PIPE_CLOSED, "")

    # As a person types it.
    command = " ".join([*WEEKBOT, "plan"]) + " | head -1"
    piped = subprocess.run(["sh", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert piped.returncode == 0 and piped.stderr == ""
    assert json.loads(piped.stdout)["at"].startswith("2026-")
