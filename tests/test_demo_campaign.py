"""`weekbot demo`: the whole campaign through the sandbox on a virtual clock. As a real process it
must end with the exports and every push kind; in process, a broken invariant (a push delivered
twice, a unit nudged although it reported) must make it fail."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pytest

from bot.config import Settings, load_config
from bot.demo.campaign import run_campaign
from bot.demo.report import Progress
from scheduler.clock import TZ
from scheduler.plan import PushKind
from tests.conftest import EXAMPLE
from tests.test_demo import weekbot


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data_dir = tmp_path_factory.mktemp("campaign") / "data"
    done = weekbot(data_dir, "demo")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    return data_dir, done.stdout


def test_output_names_every_push_kind_and_the_exports(campaign: tuple[Path, str]) -> None:
    data_dir, out = campaign
    for kind in PushKind:
        assert f"推送 {kind}" in out  # as it went out, during the run
        line = next(line for line in out.splitlines() if line.startswith(f"{kind} "))
        fired, planned = line.split()[2].split("/")
        assert fired == planned and int(fired) >= 1, line
    assert "最后一份汇总" in out and "宣传周汇总" in out
    assert "不变量被破坏" not in out
    assert not any(ch == "\033" for ch in out)  # plain lines when stdout is not a terminal
    for name in ("宣传周活动台账.xlsx", "宣传周总结初稿.docx", "宣传周活动图片.zip"):
        assert str(data_dir / name) in out


def test_exports_hold_the_campaign(campaign: tuple[Path, str]) -> None:
    data_dir, _ = campaign
    ledger = openpyxl.load_workbook(next(data_dir.glob("*.xlsx")))
    sheet = ledger.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    unit_column = header.index("单位")
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[unit_column]]
    assert len(rows) >= 60
    assert len({row[unit_column] for row in rows}) >= 20
    draft = docx.Document(str(next(data_dir.glob("*.docx"))))
    assert len(draft.inline_shapes) > 1  # the chart and photos
    with zipfile.ZipFile(next(data_dir.glob("*.zip"))) as archive:
        assert len(archive.namelist()) >= 20


def short_run_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("WEEKBOT_DATA_DIR", str(tmp_path / "data"))
    return load_config(EXAMPLE, env={"WEEKBOT_DATA_DIR": str(tmp_path / "data")})


async def short_run(settings: Settings, until: datetime) -> tuple[int, str]:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", out)
        code = await run_campaign(settings, Progress(out, live=False), until=until)
    return code, out.getvalue()


async def test_first_day_passes_its_invariants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = await short_run(short_run_settings(tmp_path, monkeypatch), datetime(2026, 4, 14, 18, 0, tzinfo=TZ))
    assert code == 0, out
    assert "推送 rsvp_request" in out


async def test_a_push_delivered_twice_fails_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A sender that never records what it sent: when a row's lease lapses it goes out again, and
    # outside WeCom's 30-minute duplicate check the platform takes it a second time.
    monkeypatch.setattr("scheduler.sender.OutboxSender._record", lambda self, session, outcomes, now: None)
    code, out = await short_run(short_run_settings(tmp_path, monkeypatch), datetime(2026, 4, 14, 18, 0, tzinfo=TZ))
    assert code == 1
    assert "不变量被破坏" in out and "重复推送" in out


async def test_a_nudge_to_a_unit_that_reported_fails_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An audience that forgets who reported: every unit is "silent" and gets the evening nudge.
    monkeypatch.setattr("scheduler.audiences.activities_by_unit", lambda session, first, last: {})
    code, out = await short_run(short_run_settings(tmp_path, monkeypatch), datetime(2026, 4, 20, 20, 0, tzinfo=TZ))
    assert code == 1
    assert "错误催报" in out and "report_nudge:2026-04-20" in out
