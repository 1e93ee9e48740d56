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
from pathlib import Path
from typing import TYPE_CHECKING

from bot.workers import photo_store
from storage.export_queries import ExportData, ExportFilter, load_export_data

if TYPE_CHECKING:
    from bot.runtime import Runtime

MEGABYTE = 1024 * 1024
# format -> (Content-Type, the file name people see in a download or a mail)
FORMATS: dict[str, tuple[str, str]] = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "宣传周活动台账.xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "宣传周总结初稿.docx"),
    "zip": ("application/zip", "宣传周图片.zip"),
}


async def load_snapshot(runtime: Runtime, filters: ExportFilter | None = None) -> ExportData:
    unit_order = [unit.name for unit in runtime.settings.units]
    return await runtime.db.read(lambda session: load_export_data(session, unit_order, filters))


async def write_export(runtime: Runtime, data: ExportData, fmt: str, out: Path) -> Path:
    """Write ``data`` as ``fmt`` to ``out`` in a worker thread; returns ``out``."""
    write = _writer(runtime, fmt)
    await asyncio.to_thread(_write_whole, write, data, out)
    return out


async def build_export(runtime: Runtime, fmt: str, out: Path, *, filters: ExportFilter | None = None) -> Path:
    """Read a fresh snapshot and write it as ``fmt`` ("xlsx", "docx" or "zip") to ``out``."""
    _writer(runtime, fmt)  # an unknown format fails before the database is read
    return await write_export(runtime, await load_snapshot(runtime, filters), fmt, out)


def _writer(runtime: Runtime, fmt: str) -> Callable[[ExportData, Path], None]:
    # The writers import openpyxl, python-docx and matplotlib (~0.5 s, tens of MB): only the
    # format asked for is loaded, and only when a file is built, not when `serve` starts.
    settings = runtime.settings
    if fmt == "xlsx":
        from bot.exports.ledger import write_ledger

        return lambda data, out: write_ledger(data, out, settings.campaign.name)
    if fmt == "docx":
        from bot.exports.summary_doc import write_summary_doc

        now = runtime.clock.now()
        return lambda data, out: write_summary_doc(data, settings, photo_store(runtime), now, out)
    if fmt == "zip":
        from bot.exports.photo_zip import write_photo_zip

        return lambda data, out: write_photo_zip(data, photo_store(runtime), out)
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
