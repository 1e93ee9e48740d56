"""Backups: `weekbot backup` while the app takes reports, `weekbot restore` elsewhere, and the
exports of both agree; refusals (a non-empty target, a damaged archive, the other database kind);
the daily backup on a manual clock."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from bot.backup import BackupError, make_backup, restore_backup
from bot.backup.archive import MANIFEST, Manifest
from bot.backup.daily import DailyBackup
from bot.cli.main import main
from bot.config import BackupConfig, Settings, load_config
from bot.database import open_database
from bot.demo import demo_photo
from scheduler.clock import TZ, ManualClock
from storage.backup_runs import BackupRun, BackupStatus
from tests.conftest import EXAMPLE
from tests.harness import Harness, make_settings

USERS = (("wang", "市商务局"), ("li", "朝阳海关"), ("zhao", "建平县知识产权局"))


def elsewhere(tmp_path: Path, name: str, request: pytest.FixtureRequest, backend: str) -> Settings:
    """Settings for another data directory and, on PostgreSQL, another (empty) database."""
    env = {"WEEKBOT_DATA_DIR": str(tmp_path / name)}
    if backend == "postgresql":
        env["WEEKBOT_DATABASE_URL"] = request.getfixturevalue("postgres_server").new_database()
    return load_config(EXAMPLE, env=env)


def use_target(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Point the `weekbot` CLI at ``settings``' data directory and database."""
    monkeypatch.setenv("WEEKBOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WEEKBOT_DATABASE_URL", settings.database_url)


async def weekbot(*argv: str) -> int:
    """The `weekbot` CLI in a thread (it runs its own event loop), with the example config."""
    return await asyncio.to_thread(main, ["--config", str(EXAMPLE), *argv])


async def exports(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, out: Path
) -> tuple[list[list[object]], dict[str, bytes]]:
    """`weekbot export` xlsx rows (every sheet) and zip photo contents for ``settings``."""
    use_target(monkeypatch, settings)
    out.mkdir(parents=True)
    assert await weekbot("export", "--format", "xlsx", "--out", str(out / "l.xlsx")) == 0
    assert await weekbot("export", "--format", "zip", "--out", str(out / "p.zip")) == 0
    book = openpyxl.load_workbook(out / "l.xlsx")
    rows = [[sheet.title, *row] for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    with zipfile.ZipFile(out / "p.zip") as photos:
        contents = {name: photos.read(name) for name in photos.namelist()}
    return rows, contents


def table_counts(url: str, tables: list[str]) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    finally:
        engine.dispose()


def exportable_photos(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM photo WHERE status = 'ready' AND activity_id IS NOT NULL"
            return int(conn.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def activity_texts(url: str) -> set[tuple[int, int]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {(row.id, row.materials) for row in conn.execute(text("SELECT id, materials FROM activity"))}
    finally:
        engine.dispose()


def checksums_verify(archive: Path) -> Manifest:
    with zipfile.ZipFile(archive) as opened:
        manifest = Manifest.from_json(opened.read(MANIFEST))
        for name, member in manifest.members.items():
            assert hashlib.sha256(opened.read(name)).hexdigest() == member.sha256, name
    return manifest


async def report_load(bot: Harness, stop: asyncio.Event, reports: list[int]) -> None:
    """Liaisons report (every third one with a photo, processed by the media worker) until ``stop``."""
    n = 0
    while not stop.is_set():
        user = USERS[n % len(USERS)][0]
        reply = await bot.say(user, f"今天在新华路商圈开展集中宣传，发放资料{100 + n}份，咨询{n + 1}人次")
        assert reply and reply.startswith("已记录"), reply
        if n % 3 == 0:
            await bot.send_photo(user, demo_photo(n, bot.clock.now(), (320, 240)))
            await bot.background.media.run_until_idle()
        bot.clock.advance(timedelta(minutes=31))
        n += 1
        reports.append(n)


async def test_backup_under_load_restores_to_identical_exports(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Harness(make_settings(tmp_path / "source")) as bot:
        for user, unit in USERS:
            await bot.bound(user, unit)
        stop, reports = asyncio.Event(), []
        load = asyncio.create_task(report_load(bot, stop, reports))
        while len(reports) < 4:
            await asyncio.sleep(0.01)
        # The backup runs in a thread while the webhook keeps writing reports and photos.
        during = await asyncio.to_thread(make_backup, bot.settings, tmp_path / "during.zip", clock=bot.clock)
        at_backup_end = len(reports)
        while len(reports) < at_backup_end + 3:
            await asyncio.sleep(0.01)
        stop.set()
        await load
        after = make_backup(bot.settings, tmp_path / "after.zip", clock=bot.clock)
        source_texts = activity_texts(bot.settings.database_url)

    # The backup taken under load is one consistent moment: its counts are what it restores, its
    # activities are the source's as they were, and every photo it names came with it.
    manifest = checksums_verify(during)
    target = elsewhere(tmp_path, "during", request, backend)
    restore_backup(target, during)
    assert table_counts(target.database_url, list(manifest.row_counts)) == manifest.row_counts
    restored_texts = activity_texts(target.database_url)
    assert 4 <= len(restored_texts) < len(source_texts)
    assert restored_texts <= source_texts
    rows, photos = await exports(monkeypatch, target, tmp_path / "during-exports")
    # The photo ZIP holds the photos ready and filed under an activity; one still being fetched when
    # the backup ran is in it as a pending row, which the export rightly leaves out.
    assert len(rows) > len(restored_texts) and manifest.row_counts["photo"] > 0
    assert len(photos) == exportable_photos(target.database_url)

    # Restored after the load: the same ledger rows and the same photo bytes as the source.
    checksums_verify(after)
    copy = elsewhere(tmp_path, "after", request, backend)
    use_target(monkeypatch, copy)
    assert await weekbot("restore", str(after)) == 0
    restored = await exports(monkeypatch, copy, tmp_path / "copy-exports")
    assert restored == await exports(monkeypatch, bot.settings, tmp_path / "source-exports")


async def test_restore_refuses_a_non_empty_target_without_force(
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with Harness(make_settings(tmp_path / "source")) as bot:
        await bot.bound("wang", "市商务局")
        await bot.say("wang", "今天在新华路商圈开展集中宣传，发放资料200份")
        archive = make_backup(bot.settings, tmp_path / "b.zip", clock=bot.clock)
    target = elsewhere(tmp_path, "target", request, backend)
    open_database(target).close()  # a service started there once: units, empty tables
    use_target(monkeypatch, target)
    assert main(["--config", str(EXAMPLE), "restore", str(archive)]) == 2
    refusal = capsys.readouterr().err
    assert "weekbot restore: the target is not empty" in refusal and "--force" in refusal
    assert table_counts(target.database_url, ["activity"]) == {"activity": 0}
    assert main(["--config", str(EXAMPLE), "restore", str(archive), "--force"]) == 0
    assert table_counts(target.database_url, ["activity"]) == {"activity": 1}


def flip_byte_in(archive: Path, member: str) -> bytes:
    """The archive with one bit of ``member``'s stored data flipped."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(member)
    # The data follows the 30-byte local header, the name and the local extra field.
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0x01
    return bytes(data)


def rewritten(archive: Path, member: str, content: bytes) -> bytes:
    """The archive with ``member`` replaced (a valid ZIP whose manifest no longer matches)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == member else source.read(info))
    return buffer.getvalue()


async def test_damaged_archive_is_refused_before_anything_is_restored(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path / "source")) as bot:
        await bot.bound("wang", "市商务局")
        await bot.send_photo("wang", demo_photo(1, bot.clock.now(), (320, 240)))
        await bot.background.media.run_until_idle()
        archive = make_backup(bot.settings, tmp_path / "b.zip", clock=bot.clock)
    photo = next(
        name for name in Manifest.from_json(zipfile.ZipFile(archive).read(MANIFEST)).members if ".orig." in name
    )
    for case, damaged in (
        ("flipped", flip_byte_in(archive, "database/weekbot.db")),
        ("flipped-photo", flip_byte_in(archive, photo)),
        ("replaced", rewritten(archive, photo, b"not the photo")),
    ):
        path = tmp_path / f"{case}.zip"
        path.write_bytes(damaged)
        target = load_config(EXAMPLE, env={"WEEKBOT_DATA_DIR": str(tmp_path / case)})
        with pytest.raises(BackupError, match="is damaged; nothing was restored"):
            restore_backup(target, path)
        assert sorted(p.name for p in target.data_dir.iterdir()) == [], case


def test_a_sqlite_backup_does_not_restore_into_postgresql(tmp_path: Path) -> None:
    source = load_config(EXAMPLE, env={"WEEKBOT_DATA_DIR": str(tmp_path / "source")})
    open_database(source).close()
    archive = make_backup(source, tmp_path / "b.zip")
    # Refused from the manifest alone: no connection is made to this (unreachable) server.
    target = load_config(
        EXAMPLE,
        env={"WEEKBOT_DATA_DIR": str(tmp_path / "t"), "WEEKBOT_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"},
    )
    with pytest.raises(BackupError, match="holds a sqlite database but the configured database is postgresql"):
        restore_backup(target, archive)


async def test_daily_backup_runs_once_a_day_and_keeps_n_days(tmp_path: Path, backend: str) -> None:
    settings = make_settings(tmp_path)
    settings = settings.model_copy(update={"backup": BackupConfig(enabled=True, keep_days=3, time="03:00")})
    clock = ManualClock(datetime(2026, 4, 20, 2, 59, tzinfo=TZ))
    folder = settings.data_dir / "backups"
    folder.mkdir(parents=True)
    for old in ("weekbot-2026-04-16.zip", "weekbot-2026-04-17.zip", "weekbot-2026-04-18.zip", "notes.zip"):
        (folder / old).write_bytes(b"old")
    db = open_database(settings)
    try:
        daily, other_process = DailyBackup(settings, db, clock), DailyBackup(settings, db, clock)
        assert await daily.run_due() is None  # 02:59: not yet
        clock.set(datetime(2026, 4, 20, 3, 0, tzinfo=TZ))
        assert await other_process.run_due() == folder / "weekbot-2026-04-20.zip"
        assert await daily.run_due() is None  # the other process made today's
        clock.advance(timedelta(hours=20))
        assert await other_process.run_due() is None  # once a day
        clock.set(datetime(2026, 4, 21, 9, 0, tzinfo=TZ))  # started late: made at once
        assert await daily.run_due() == folder / "weekbot-2026-04-21.zip"
        kept = sorted(p.name for p in folder.iterdir())
        assert kept == ["notes.zip", "weekbot-2026-04-20.zip", "weekbot-2026-04-21.zip"]
        runs = db.call(lambda session: list(session.exec(select(BackupRun)).all()))
        assert [(r.day.isoformat(), r.status) for r in sorted(runs, key=lambda r: r.day)] == [
            ("2026-04-20", BackupStatus.DONE),
            ("2026-04-21", BackupStatus.DONE),
        ]
        manifest = checksums_verify(folder / "weekbot-2026-04-21.zip")
        assert manifest.created_at == "2026-04-21T09:00:00+08:00"
        assert manifest.row_counts["backuprun"] == 2  # today's claim is in the snapshot
    finally:
        db.close()
