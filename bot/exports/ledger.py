"""The Excel ledger (活动台账): one row per activity, then a units × measures sheet and a types sheet.

Counts are number cells, left blank where nobody stated a figure, so Excel's sums and filters work
and "not stated" stays distinguishable from 0; dates are date cells, but a multi-day activity's is
its span in words (4月22日至24日): one row, one activity. Figures stated as 约/余/多
are kept as numbers and named in the 约数 column. The workbook is written in openpyxl's
write-only mode, which streams rows to the file, so a 10,000-row ledger needs little memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from scheduler.clock import TZ
from storage.export_queries import MEASURES, ActivityRow, ExportData, Totals
from storage.wording import COUNT_LABELS, TYPE_LABELS, say_span_of

MEASURE_TITLES = tuple(f"{label}（{unit}）" for label, unit in COUNT_LABELS.values())
LEDGER_COLUMNS: tuple[tuple[str, float], ...] = (
    ("记录号", 8),
    ("单位", 22),
    ("日期", 12),
    ("类型", 10),
    ("地点", 24),
    *((title, 13) for title in MEASURE_TITLES),
    ("图片（张）", 10),
    ("约数", 16),
    ("报送人", 12),
    ("报送时间", 17),
    ("原文", 60),
)
UNIT_COLUMNS: tuple[tuple[str, float], ...] = (
    ("单位", 24),
    ("活动（场）", 11),
    *((title, 13) for title in MEASURE_TITLES),
    ("图片（张）", 10),
    ("总结", 8),
)
TYPE_COLUMNS: tuple[tuple[str, float], ...] = (
    ("类型", 12),
    ("活动（场）", 11),
    ("单位（个）", 11),
    *((title, 13) for title in MEASURE_TITLES),
)
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MOMENT_FORMAT = "yyyy-mm-dd hh:mm"


def write_ledger(data: ExportData, out: Path, title: str) -> None:
    workbook = Workbook(write_only=True)
    workbook.properties.title = f"{title}活动台账"
    _sheet(workbook, "活动台账", LEDGER_COLUMNS, [_ledger_row(row) for row in data.activities])
    unit_total = ["合计", *_figures(data.totals), len(data.photos), len(data.summaries_in)]
    _sheet(workbook, "单位汇总", UNIT_COLUMNS, [_unit_row(data, name) for name in data.units], unit_total)
    type_units = _units_per_type(data)
    type_rows = [
        [TYPE_LABELS.get(kind, kind), totals.activities, len(type_units[kind]), *_figures(totals)[1:]]
        for kind, totals in data.by_type.items()
    ]
    reporting = len({row.unit for row in data.activities})
    _sheet(
        workbook,
        "分类汇总",
        TYPE_COLUMNS,
        type_rows,
        ["合计", data.totals.activities, reporting, *_figures(data.totals)[1:]],
    )
    workbook.save(out)


def _sheet(
    workbook: Workbook,
    name: str,
    columns: tuple[tuple[str, float], ...],
    rows: Sequence[list[Any]],
    total: list[Any] | None = None,
) -> None:
    """A sheet with a styled, frozen, filterable header; ``total`` is a bold last line outside the filter."""
    sheet: WriteOnlyWorksheet = workbook.create_sheet(name)
    # Write-only sheets take widths, panes and the filter before the first row is streamed.
    for index, (_, width) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    header = []
    for title, _ in columns:
        cell = WriteOnlyCell(sheet, title)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    if total is not None:
        sheet.append([_cell(sheet, value, bold=True) for value in total])


def _cell(sheet: WriteOnlyWorksheet, value: Any, *, bold: bool = False) -> Any:
    moment = isinstance(value, datetime)
    if not (moment or bold):
        return value  # a plain value streams fastest
    # Excel has no time zones: the local (Asia/Shanghai) wall-clock time is what people read.
    cell = WriteOnlyCell(sheet, value.astimezone(TZ).replace(tzinfo=None) if moment else value)
    if moment:
        cell.number_format = MOMENT_FORMAT
    if bold:
        cell.font = BOLD
    return cell


def _ledger_row(row: ActivityRow) -> list[Any]:
    activity = row.activity
    approximate = "、".join(COUNT_LABELS[m][0] for m in MEASURES if activity.approximate.get(m))
    return [
        activity.id,
        row.unit,
        say_span_of(activity) or activity.date,
        TYPE_LABELS.get(activity.type, activity.type),
        activity.location or "",
        *(getattr(activity, m) for m in MEASURES),
        row.photos,
        approximate,
        row.reporter,
        activity.created_at,
        activity.text,
    ]


def _figures(totals: Totals) -> list[int]:
    return [totals.activities, *(totals.measures[m] for m in MEASURES)]


def _unit_row(data: ExportData, name: str) -> list[Any]:
    summary = "已交" if name in data.summaries_in else ""
    return [name, *_figures(data.by_unit[name]), data.photos_by_unit.get(name, 0), summary]


def _units_per_type(data: ExportData) -> dict[str, set[str]]:
    units: dict[str, set[str]] = defaultdict(set)
    for row in data.activities:
        units[row.activity.type].add(row.unit)
    return units
