"""XLSX workbooks, read with openpyxl in read-only mode (rows stream; the sheet is never loaded).

Cells become text the way a user reads them: dates as ISO dates, whole numbers without `.0`.
A number of 16 or more digits cannot be stored exactly by Excel (15 significant digits), so a
身份证号 typed as a number (6.20722199001011E+17) has already lost its last digits: that is
reported as an error for the row and column instead of being ingested as a wrong ID.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ._xlsx_layout import (
    MAX_HEADER_DEPTH,
    HeaderLayout,
    MergedRange,
    detect_header,
    read_merged_ranges,
)
from .base import (
    FORMULA_ERROR,
    PRECISION_LOST,
    SHEET_NOT_FOUND,
    STRAY_VALUE,
    UNSUPPORTED_FORMAT,
    ConnectorError,
    RowErrorPolicy,
    SourceRecord,
    emit_row_error,
    format_float,
    to_text,
)

SCAN_ROWS = 30
_EXACT_LIMIT = 10**15  # Excel keeps 15 significant digits; any whole number from here on may be cut


class XlsxConnector:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sheet: str | int | None = None,
        header_row: int | None = None,
        row_errors: RowErrorPolicy = "raise",
    ) -> None:
        """`sheet`: name or 0-based index (default the first sheet);
        `header_row`: 1-based, given when detection should be skipped."""
        self.path = os.fspath(path)
        self._sheet = sheet
        self._header_row = header_row
        self._row_errors: RowErrorPolicy = row_errors
        self._layout: HeaderLayout | None = None

    def columns(self) -> list[str]:
        return list(self.layout().names)

    def layout(self) -> HeaderLayout:
        """Header rows, column span and names, detected from the first rows of the sheet."""
        if self._layout is None:
            with self._sheet_rows() as (layout, _, _):
                self._layout = layout
        return self._layout

    def iter_records(self) -> Iterator[SourceRecord]:
        with self._sheet_rows() as (layout, merges, rows):
            filler = _MergeFiller([m for m in merges if m.min_row >= layout.data_start])
            for number, cells in enumerate(rows, start=1):
                if number >= layout.data_start:
                    record = self._record(number, cells, layout, filler)
                    if record is not None:
                        yield record

    @contextmanager
    def _sheet_rows(
        self,
    ) -> Iterator[tuple[HeaderLayout, list[MergedRange], Iterator[tuple[Any, ...]]]]:
        """The layout, the merged ranges, and every row of the sheet from row 1."""
        workbook, sheet_name = self._open()
        try:
            with zipfile.ZipFile(self.path) as archive:
                merges = read_merged_ranges(archive, sheet_name)
            sheet: Any = workbook[sheet_name]
            sheet.reset_dimensions()  # some writers store a wrong <dimension>; never trust it
            rows = sheet.iter_rows(min_row=1, min_col=1)
            scan = max(SCAN_ROWS, (self._header_row or 0) + MAX_HEADER_DEPTH)
            head: list[tuple[Any, ...]] = []
            for cells in rows:
                head.append(tuple(cells))
                if len(head) == scan:
                    break
            grid = [[cell.value for cell in row] for row in head]
            self._layout = detect_header(grid, merges, self._header_row)
            yield self._layout, merges, _chain(head, rows)
        finally:
            workbook.close()

    def _open(self) -> tuple[Any, str]:
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise ConnectorError(
                UNSUPPORTED_FORMAT,
                "不是有效的 XLSX 文件；旧版 .xls 文件请在 Excel 中另存为 .xlsx 后上传",
            ) from exc
        names: list[str] = workbook.sheetnames
        if self._sheet is None:
            return workbook, names[0]
        if isinstance(self._sheet, int) and 0 <= self._sheet < len(names):
            return workbook, names[self._sheet]
        if isinstance(self._sheet, str) and self._sheet in names:
            return workbook, self._sheet
        workbook.close()
        raise ConnectorError(
            SHEET_NOT_FOUND, f"工作簿中没有工作表“{self._sheet}”，现有：{'、'.join(names)}"
        )

    def _record(
        self, number: int, cells: Sequence[Any], layout: HeaderLayout, filler: _MergeFiller
    ) -> SourceRecord | None:
        texts: dict[int, str | None] = {}
        errors: list[ConnectorError] = []
        for index, cell in enumerate(cells, start=1):
            letter = get_column_letter(index)
            field = (
                layout.names[index - layout.first_col]
                if layout.first_col <= index <= layout.last_col
                else None
            )
            try:
                texts[index] = cell_text(cell.value, getattr(cell, "data_type", "n"))
            except ValueError as exc:
                code = FORMULA_ERROR if getattr(cell, "data_type", "n") == "e" else PRECISION_LOST
                texts[index] = None
                errors.append(
                    ConnectorError(
                        code,
                        f"第 {number} 行 {letter} 列（{field or '无列名'}）{exc}",
                        number,
                        field,
                    )
                )
            if field is None and texts[index] is not None:
                errors.append(
                    ConnectorError(
                        STRAY_VALUE,
                        f"第 {number} 行 {letter} 列有数据，但这一列在表头范围之外、没有列名",
                        row=number,
                        field=letter,
                    )
                )
        filler.fill(number, texts)
        values = {name: texts.get(layout.first_col + i) for i, name in enumerate(layout.names)}
        if errors:
            return emit_row_error(errors[0], self._row_errors, values)
        if all(value is None for value in values.values()):
            return None
        return SourceRecord(number, values)


class _MergeFiller:
    """Copies the value of a merged data range into every cell it covers, row by row.

    A 所属村 merged down over several households then reaches each household's record.
    """

    def __init__(self, merges: list[MergedRange]) -> None:
        self._starts: dict[int, list[MergedRange]] = {}
        for merge in merges:
            self._starts.setdefault(merge.min_row, []).append(merge)
        self._active: dict[MergedRange, str | None] = {}

    def fill(self, row: int, texts: dict[int, str | None]) -> None:
        self._active = {m: v for m, v in self._active.items() if m.max_row >= row}
        for merge in self._starts.pop(row, []):
            self._active[merge] = texts.get(merge.min_col)
        for merge, value in self._active.items():
            texts.update(dict.fromkeys(range(merge.min_col, merge.max_col + 1), value))


def cell_text(value: object, data_type: str = "n") -> str | None:
    """One cell as text.

    Raises ValueError (message in Chinese) for error cells and numbers Excel has cut off."""
    if value is None or value == "":
        return None
    if data_type == "e":
        raise ValueError(f"是公式错误 {value}")
    if isinstance(value, float) and value.is_integer() and abs(value) >= _EXACT_LIMIT:
        raise ValueError(
            f"的数字 {value:.15g} 超过 15 位，Excel 已丢失末尾数字；"
            "请把该列设为文本格式后重新录入（如身份证号）"
        )
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.microsecond == 0 else "auto")
    return to_text(value)


def _chain(
    head: list[tuple[Any, ...]], rest: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    yield from head
    yield from rest
