"""Writing the demo sources in the shapes departments really send.

公安 a GBK CSV, 民政 低保 an XLSX made for printing (merged title, a 填报单位 line, a two-level
header with 序号 merged down), 民政 养老 a UTF-8 CSV with BOM (as Excel saves it), 卫健 a plain
XLSX, 人社 the JSON of its API (records under ``data.items``), 市场监管 a GB18030 CSV.

Files are byte-for-byte reproducible for a seed, except XLSX, whose zip entries and document
properties carry the time of writing; the loader therefore writes the sources once and reuses
them, so a second load sees the same bytes and ingestion records duplicate batches.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

Row = dict[str, object]
_FIXED_TIME = dt.datetime(2024, 6, 30, 18, 0, 0)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def write_csv(path: Path, rows: Sequence[Row], *, encoding: str) -> Path:
    """A CSV with CRLF line ends in ``encoding`` (``gbk``, ``gb18030``, ``utf-8-sig``)."""
    columns = list(rows[0]) if rows else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c)) for c in columns])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_json(path: Path, rows: Sequence[Row]) -> Path:
    """The API's envelope ``{"code": 0, "data": {"total": n, "items": [...]}}``."""
    document = {"code": 0, "message": "success", "data": {"total": len(rows), "items": rows}}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), "utf-8")
    return path


def _workbook(sheet: str) -> tuple[Workbook, Worksheet]:
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    workbook.properties.creator = "citybrain demo"
    workbook.properties.created = _FIXED_TIME
    return workbook, workbook.create_sheet(sheet)


def write_xlsx(path: Path, rows: Sequence[Row], *, sheet: str) -> Path:
    """A plain sheet: header in row 1."""
    workbook, ws = _workbook(sheet)
    columns = list(rows[0]) if rows else []
    ws.append(columns)
    for row in rows:
        ws.append([row.get(c) for c in columns])
    workbook.save(path)
    return path


def write_register_xlsx(
    path: Path,
    rows: Sequence[Row],
    *,
    title: str,
    filled_by: str,
    groups: Sequence[tuple[str, Sequence[str]]],
) -> Path:
    """A printed register: a merged title row, a 填报单位 line, then a two-level header
    (``groups``: upper label → the columns under it) with 序号 merged over both levels."""
    workbook, ws = _workbook("花名册")
    columns = [c for _, cs in groups for c in cs]
    width = len(columns) + 1
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.cell(2, 1, f"填报单位：{filled_by}")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=3)
    ws.cell(2, width, "填报日期：2024年6月30日")
    ws.cell(3, 1, "序号")
    ws.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    col = 2
    for upper, lower in groups:
        ws.cell(3, col, upper)
        if len(lower) > 1:
            ws.merge_cells(
                start_row=3, start_column=col, end_row=3, end_column=col + len(lower) - 1
            )
        for offset, name in enumerate(lower):
            ws.cell(4, col + offset, name)
        col += len(lower)
    for index, row in enumerate(rows, start=1):
        ws.append([index, *(row.get(c) for c in columns)])
    for letter, size in (("C", 22), ("B", 10)):
        ws.column_dimensions[letter].width = size
    workbook.save(path)
    return path
