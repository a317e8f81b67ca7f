"""Shared data as files: CSV (UTF-8 with BOM, so Excel opens Chinese text) or XLSX, with the
items' Chinese titles as headers and two trace columns (批次号, 源行号). Pure.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is written with a leading apostrophe in CSV and as a plain string cell in XLSX.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from citybrain.datahub.sharing.hubread import TRACE

TRACE_HEADERS: Final = ("批次号", "源行号")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_BAD_SHEET_CHARS: Final = re.compile(r"[\[\]:*?/\\]")
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cells(row: dict[str, Any], items: Sequence[str]) -> list[Any]:
    trace = row.get(TRACE) or {}
    return [row.get(name) for name in items] + [trace.get("batch_id"), trace.get("source_row")]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def to_csv(items: Sequence[str], titles: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*titles, *TRACE_HEADERS])
    for row in rows:
        writer.writerow([_text(v) for v in _cells(row, items)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    items: Sequence[str],
    titles: Sequence[str],
    rows: Iterable[dict[str, Any]],
    *,
    sheet_title: str = "共享数据",
) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_BAD_SHEET_CHARS.sub("_", sheet_title)[:31] or "共享数据")
    sheet.append([*titles, *TRACE_HEADERS])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in _cells(row, items)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; hub times are UTC
    return value
