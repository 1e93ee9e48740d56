"""The contact person's summary pack: the Excel ledger, the Word summary draft and the photo ZIP.

All three come from one snapshot (storage.export_queries), read on the database thread; the file
is then written in a worker thread, so the webhook and the desk keep answering while a
10,000-row ledger is built. A file appears whole or not at all: it is written beside the target
and renamed into place, so a download never sees half a file.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from scheduler.clock import Clock
from storage.db import Database
from storage.export_queries import ExportData, ExportFilter, load_export_data
from storage.photo_store import PhotoStore

MEGABYTE = 1024 * 1024
# format -> (Content-Type, the file name people see in a download or a mail)
FORMATS: dict[str, tuple[str, str]] = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "宣传周活动台账.xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "宣传周总结初稿.docx"),
    "zip": ("application/zip", "宣传周图片.zip"),
}


@dataclass(frozen=True)
class ExportSource:
    """What the exports read, and no more: the database the snapshot query (storage.export_queries)
    runs on, the settings (units' order, the campaign), the photo store, and the clock that dates
    the draft. Runtime.export_source() makes one."""

    db: Database
    settings: Settings
    photos: PhotoStore
    clock: Clock


async def load_snapshot(source: ExportSource, filters: ExportFilter | None = None) -> ExportData:
    unit_order = [unit.name for unit in source.settings.units]
    return await source.db.read(lambda session: load_export_data(session, unit_order, filters))


async def write_export(source: ExportSource, data: ExportData, fmt: str, out: Path) -> Path:
    """Write ``data`` as ``fmt`` to ``out`` in a worker thread; returns ``out``."""
    write = _writer(source, fmt)
    await asyncio.to_thread(_write_whole, write, data, out)
    return out


async def build_export(source: ExportSource, fmt: str, out: Path, *, filters: ExportFilter | None = None) -> Path:
    """Read a fresh snapshot and write it as ``fmt`` ("xlsx", "docx" or "zip") to ``out``."""
    _writer(source, fmt)  # an unknown format fails before the database is read
    return await write_export(source, await load_snapshot(source, filters), fmt, out)


def _writer(source: ExportSource, fmt: str) -> Callable[[ExportData, Path], None]:
    # The writers import openpyxl, python-docx and matplotlib (~0.5 s, tens of MB): only the
    # format asked for is loaded, and only when a file is built, not when `serve` starts.
    settings, photos = source.settings, source.photos
    if fmt == "xlsx":
        from bot.exports.ledger import write_ledger

        return lambda data, out: write_ledger(data, out, settings.campaign.name)
    if fmt == "docx":
        from bot.exports.summary_doc import write_summary_doc

        now = source.clock.now()
        return lambda data, out: write_summary_doc(data, settings, photos, now, out)
    if fmt == "zip":
        from bot.exports.photo_zip import write_photo_zip

        return lambda data, out: write_photo_zip(data, photos, out)
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _write_whole(write: Callable[[ExportData, Path], None], data: ExportData, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(handle)
    partial = Path(name)
    try:
        write(data, partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def size_label(size: int) -> str:
    """A file size as people say it: 12 KB, 3.4 MB."""
    if size < MEGABYTE:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / MEGABYTE:.1f} MB"
