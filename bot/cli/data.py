"""The commands on the campaign's data: db, export, send-summary, backup, restore.

Each imports what it needs when it runs: only a command that builds a file loads the exports'
libraries (openpyxl, python-docx, matplotlib; tests/test_lazy_imports.py).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli import CommandError
from bot.config import Settings, load_config

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from storage.export_queries import ExportFilter


def db_command(args: argparse.Namespace) -> int:
    from storage.db import Database
    from storage.migrations import runner

    if args.db_command == "revision":
        path, differences = runner.new_revision(args.message)
        print(f"wrote {path}" if differences else f"wrote {path}: the models match the revisions, write it by hand")
        return 0
    db = Database(load_config(args.config).database_url)
    try:
        if args.db_command == "upgrade":
            applied = db.create_all()
            print("\n".join(f"已升级：{revision}" for revision in applied) or "已是最新，无需升级")
        print(f"当前版本：{runner.current_description(db.engine)}")
    finally:
        db.close()
    return 0


def _export_filter(args: argparse.Namespace, settings: Settings) -> ExportFilter:
    from handlers.parsing.directory import UnitDirectory
    from handlers.wording import type_from_words
    from storage.export_queries import ExportFilter
    from storage.wording import TYPE_LABELS

    directory = UnitDirectory(settings.units)
    units, types = set(), set()
    for given in args.unit:
        name = directory.canonical(given)
        if name is None:
            raise ValueError(f"--unit {given!r}: no such unit or alias in the config")
        units.add(name)
    for given in args.type:
        kind = given if given in TYPE_LABELS else type_from_words(given)
        if kind is None:
            raise ValueError(f"--type {given!r}: expected one of {', '.join(TYPE_LABELS)} or its Chinese label")
        types.add(kind)
    return ExportFilter(frozenset(units), args.first, args.last, frozenset(types))


def _existing_runtime(settings: Settings) -> Runtime:
    """A runtime on the configured database, refusing to make a new, empty one (wrong WEEKBOT_DATA_DIR)."""
    from pathlib import Path

    from bot.runtime import Runtime
    from scheduler.clock import SystemClock

    url = settings.database_url
    if url.startswith("sqlite") and "///" in url:
        path = Path(url.split("///", 1)[1])
        if not path.exists():
            raise CommandError(
                f"no database at {path}; set WEEKBOT_DATA_DIR (or WEEKBOT_DATABASE_URL) as for `weekbot serve`"
            )
    return Runtime.create(settings, SystemClock())


def export_command(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from bot.exports import build_export, size_label
    from bot.exports.chart import MissingFontError

    settings = load_config(args.config)
    try:
        filters = _export_filter(args, settings)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    runtime = _existing_runtime(settings)
    try:
        out = asyncio.run(build_export(runtime.export_source(), args.format, Path(args.out), filters=filters))
    except MissingFontError as exc:
        raise CommandError(str(exc)) from None
    finally:
        runtime.close()
    print(f"已导出：{out}（{size_label(out.stat().st_size)}）")
    return 0


def send_summary_command(args: argparse.Namespace) -> int:
    import asyncio
    import tempfile
    from pathlib import Path

    from bot.exports.chart import MissingFontError
    from bot.mail import MailError, send_summary

    runtime = _existing_runtime(load_config(args.config))
    try:
        with tempfile.TemporaryDirectory(prefix="weekbot-summary-") as workdir:
            print(asyncio.run(send_summary(runtime.export_source(), Path(workdir))))
    except (MailError, MissingFontError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        runtime.close()
    return 0


def backup_command(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bot.backup import BackupError, make_backup
    from bot.exports import size_label
    from scheduler.clock import clock_from_spec

    clock = clock_from_spec(os.environ.get("WEEKBOT_CLOCK", ""))
    try:
        out = make_backup(load_config(args.config), Path(args.out), clock=clock)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"已备份：{out}（{size_label(out.stat().st_size)}）")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.backup import BackupError, restore_backup
    from bot.server.datalock import hold_data_dir

    settings = load_config(args.config)
    try:
        # Restoring writes the data directory: never under a running serve or demo.
        with hold_data_dir(settings.data_dir, "restore"):
            manifest = restore_backup(settings, Path(args.file), force=args.force)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    made = f"{manifest.created_at} 的备份，{sum(manifest.row_counts.values())} 行，{manifest.photo_count} 张照片"
    print(f"已恢复：{args.file}（{made}）→ {settings.data_dir}")
    return 0
