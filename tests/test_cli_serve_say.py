"""`weekbot serve` as a real process, `weekbot say` through it, `weekbot units codes`."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import uvloop

from bot.cli.service import run_serving
from tests.conftest import EXAMPLE

WEEKBOT = [sys.executable, "-m", "bot.cli"]


def _config(tmp_path: Path) -> Path:
    """The example config with the sandbox platform on an ephemeral port."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("port = 8089", "port = 0")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([*WEEKBOT, *args], capture_output=True, text=True, env=env, timeout=60, check=True)
    return done.stdout


def test_say_through_a_running_server_answers_with_what_was_recorded(tmp_path: Path) -> None:
    env = {**os.environ, "WEEKBOT_DATA_DIR": str(tmp_path / "data"), "WEEKBOT_CONFIG": str(_config(tmp_path))}
    codes = _run("units", "codes", env=env)
    assert len(codes.strip().splitlines()) == 27
    code = next(line.split("\t")[0] for line in codes.splitlines() if "\t市商务局\t" in line)
    server = subprocess.Popen(
        [*WEEKBOT, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert server.stdout is not None
        url = re.search(r"serving on (\S+)", server.stdout.readline())
        assert url, "serve did not report its address"
        webhook = url.group(1) + "/wechat/work"
        with urllib.request.urlopen(url.group(1) + "/sandbox/", timeout=20) as page:  # the sandbox chat page
            assert page.status == 200 and "沙箱" in page.read().decode()
        bound = _run("say", "--url", webhook, "--as", "wang", f"绑定 {code}", env=env)
        assert bound.startswith("绑定成功：市商务局")
        report = "今天在新华路商圈开展集中宣传，发放资料200份，咨询40人次"
        reply = _run("say", "--url", webhook, "--as", "wang", report, env=env)
        assert "已记录（市商务局）" in reply
        assert "集中宣传 · 新华路商圈 · 发放资料200份，咨询40人次" in reply
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_serving_process_runs_its_event_loop_on_uvloop() -> None:
    loops: list[type] = []

    async def serving() -> None:
        loops.append(type(asyncio.get_running_loop()))

    run_serving(serving())
    assert loops == [uvloop.Loop]
