"""The workbook a department fixes: its original columns, the source row number first and a
问题说明 column last. Pure (bytes in, bytes out)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

ROW_COLUMN: Final = "原行号"
PROBLEM_COLUMN: Final = "问题说明"
SHEET_TITLE: Final = "待整改数据"
_HEADER_FILL = PatternFill("solid", fgColor="FFF2CC")


def problem_text(problems: Sequence[Mapping[str, str]]) -> str:
    """``公民身份号码（id_number）：校验码错误；联系电话（phone）：格式不正确``"""
    parts = []
    for p in problems:
        title, item = p.get("title") or p.get("item", ""), p.get("item", "")
        name = f"{title}（{item}）" if item and item != title else title
        parts.append(f"{name}：{p.get('message') or p.get('reason', '')}")
    return "；".join(parts)


def failed_rows_workbook(
    columns: Sequence[str], rows: Sequence[tuple[int, Mapping[str, str | None], str]]
) -> bytes:
    """One sheet: 原行号, the source columns, 问题说明. Every value is written as text, so
    Excel keeps ID numbers and leading zeros exactly as they were."""
    workbook = Workbook()
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):  # a new workbook always starts with one worksheet
        raise TypeError("expected a worksheet")
    sheet.title = SHEET_TITLE
    header = [ROW_COLUMN, *columns, PROBLEM_COLUMN]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for row, values, problems in rows:
        sheet.append([row, *[values.get(c) for c in columns], problems])
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        width = 60 if name == PROBLEM_COLUMN else max(10, min(30, len(name) * 2 + 4))
        sheet.column_dimensions[letter].width = width
        if name not in (ROW_COLUMN, PROBLEM_COLUMN):
            for cell in sheet[letter][1:]:
                cell.number_format = "@"
    for cell in sheet[get_column_letter(len(header))][1:]:
        cell.alignment = Alignment(wrap_text=True)
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
