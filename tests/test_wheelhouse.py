"""`make wheelhouse` builds a folder that installs weekbot with no index at all (a server without
internet), by the one command it writes beside the wheels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALL_PREFIX = "/opt/weekbot"

pytestmark = pytest.mark.slow  # a minute or two: building wheels, then a fresh venv


def test_wheelhouse_installs_offline(tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    make = shutil.which("make")
    assert make, "make is not installed"
    # -o: use the running venv as is (make test has just built it); PY: the interpreter running the suite.
    subprocess.run(
        [
            make,
            "-C",
            str(ROOT),
            "-o",
            ".venv/.installed",
            "wheelhouse",
            f"WHEELHOUSE={wheelhouse}",
            f"PY={sys.executable}",
        ],
        check=True,
        timeout=900,
    )
    wheels = {path.name.split("-")[0].lower() for path in wheelhouse.glob("*.whl")}
    assert {"weekbot", "aiohttp", "wechatpy", "sqlmodel", "pillow", "psycopg"} <= wheels
    assert (wheelhouse / "deploy" / "weekbot.service").is_file()
    assert (wheelhouse / "deploy.md").is_file() and (wheelhouse / "config.example.toml").is_file()

    # The written command, as an operator runs it in the folder, into a venv of our choosing.
    command = (wheelhouse / "INSTALL.txt").read_text(encoding="utf-8").strip()
    assert "\n" not in command and "--no-index" in command
    venv = tmp_path / "opt-weekbot"
    # `python3` in the command is the Python the wheels were built for: the suite's base interpreter.
    path = os.pathsep.join([sysconfig.get_config_var("BINDIR"), os.environ["PATH"]])
    env = {"PATH": path, "HOME": str(tmp_path), "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    subprocess.run(
        ["sh", "-c", command.replace(INSTALL_PREFIX, str(venv))], cwd=wheelhouse, env=env, check=True, timeout=900
    )

    weekbot = venv / "bin" / "weekbot"
    shown = subprocess.run([weekbot, "--help"], capture_output=True, text=True, env=env, check=True, timeout=120)
    assert "宣传周报送助手" in shown.stdout
    # The installed package runs for real: the example campaign's push plan, read from its config.
    plan = subprocess.run(
        [weekbot, "--config", str(wheelhouse / "config.example.toml"), "plan"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    pushes = [json.loads(line) for line in plan.stdout.splitlines()]
    assert len(pushes) > 10
    # The package came from the wheelhouse, not from the source tree on sys.path.
    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import bot; print(bot.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert where.stdout.startswith(str(venv))
