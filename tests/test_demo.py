"""A newcomer's path: `weekbot demo --quick`, then `weekbot export` on the same WEEKBOT_DATA_DIR, as
real processes; every export has the demo's content. The whole campaign (`weekbot demo`) is in
tests/test_demo_campaign.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from tests.conftest import EXAMPLE, ROOT

# What the demo's script reports: six records, nine photos sent, one of them twice.
DEMO_RECORDS = 6
DEMO_PHOTOS = 8
MEMBER_PATTERN = re.compile(r"[^/]+/\d{4}-\d{2}-\d{2}_[^_/]+_\d{2}\.jpg")


def weekbot(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEEKBOT_")}
    env["WEEKBOT_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "bot.cli", *args, "--config", str(EXAMPLE)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    done = weekbot(data_dir, "demo", "--quick")
    assert done.returncode == 0, done.stderr
    assert f"已记录活动 {DEMO_RECORDS} 条" in done.stdout
    assert "收到图片 9 张：8 张可用（关联到 5 条活动），1 张重复已忽略。" in done.stdout
    # The venv's script, so the command runs as printed without activating the venv.
    assert f"WEEKBOT_DATA_DIR={data_dir} .venv/bin/weekbot export" in done.stdout
    return data_dir, done.stdout


@pytest.fixture(scope="module")
def demo_dir(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


def test_demo_then_ledger(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    done = weekbot(demo_dir, "export", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"已导出：{out}")
    workbook = openpyxl.load_workbook(out)
    assert workbook["活动台账"].max_row == 1 + DEMO_RECORDS
    totals = {row[0]: row[1:] for row in workbook["单位汇总"].iter_rows(min_row=2, values_only=True)}
    # 建平县: 集中宣传 500 份 and 走访企业 3 家, from one message; four photos sent, one twice.
    assert totals["建平县知识产权局"] == (2, 500, 0, 0, 3, 0, 2, None)
    assert totals["合计"][:1] == (DEMO_RECORDS,) and totals["合计"][6] == DEMO_PHOTOS


def test_demo_then_draft_and_photos(demo_dir: Path, tmp_path: Path) -> None:
    draft, photos = tmp_path / "总结.docx", tmp_path / "图片.zip"
    for fmt, out in (("docx", draft), ("zip", photos)):
        done = weekbot(demo_dir, "export", "--format", fmt, "--out", str(out))
        assert done.returncode == 0, done.stderr
    document = docx.Document(str(draft))
    assert len(document.inline_shapes) == 1 + DEMO_PHOTOS  # the chart and every photo (≤ 3 a unit)
    assert any("5个单位累计开展活动6场" in p.text for p in document.paragraphs)
    with zipfile.ZipFile(photos) as archive:
        names = archive.namelist()
    assert len(names) == DEMO_PHOTOS
    assert all(MEMBER_PATTERN.fullmatch(name) for name in names), names
    # The contact filed the 报告会 for 市委宣传部: its photo goes under that unit, not the sender's.
    assert "市委宣传部/2026-04-21_培训讲座_01.jpg" in names


def test_printed_export_command_runs_as_printed(demo_run: tuple[Path, str]) -> None:
    demo_dir, printed = demo_run
    line = next(line for line in printed.splitlines() if line.startswith("导出："))
    command = line.removeprefix("导出：").split("（")[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEEKBOT_")}
    ran = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, (command, ran.stderr)
    ledger = openpyxl.load_workbook(demo_dir / "市商务局台账.xlsx")
    # 市商务局's one record (its liaison's other report was for 市公安局).
    assert ledger["活动台账"].max_row == 1 + 1


def test_export_without_the_demo_database_says_so(tmp_path: Path) -> None:
    done = weekbot(tmp_path / "nowhere", "export", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"))
    assert done.returncode == 2
    assert "no database" in done.stderr and "WEEKBOT_DATA_DIR" in done.stderr
    assert not (tmp_path / "nowhere").exists()
