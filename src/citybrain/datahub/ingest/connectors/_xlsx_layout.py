"""Where the table is on a worksheet: merged ranges, the header rows and the column names.

Department spreadsheets are made for printing: a merged title row (民乐县低保对象名册（2024年）),
maybe a line like 填报单位：… , then a one- or two-level header whose upper cells are merged
(联系方式 over 手机 and 座机). These functions are pure apart from reading the zip, so the rules
are tested directly.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import Any, NamedTuple

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.xml.functions import fromstring

from .base import DUPLICATE_HEADER, MISSING_HEADER, ConnectorError, format_float

MAX_HEADER_DEPTH = 3
_MIN_COVERAGE = 0.6  # share of the table width a header row fills
_MIN_TEXT_SHARE = 0.6  # share of a header row's cells that are text, not numbers or dates
_MERGE_CELL = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=["']([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)["']"""
)


class MergedRange(NamedTuple):
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    def covers(self, row: int, col: int) -> bool:
        return self.min_row <= row <= self.max_row and self.min_col <= col <= self.max_col


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    header_rows: tuple[int, ...]  # 1-based sheet rows
    first_col: int  # 1-based, inclusive
    last_col: int
    names: list[str]

    @property
    def data_start(self) -> int:
        return self.header_rows[-1] + 1


def read_merged_ranges(archive: zipfile.ZipFile, sheet_name: str) -> list[MergedRange]:
    """All merged ranges of a sheet.

    openpyxl's read-only mode drops them, and they sit after all the rows in the sheet XML, so
    the decompressed part is scanned in chunks; `<` inside cell text is always escaped, so a
    `<mergeCell` byte pattern can only be the element.
    """
    refs: set[bytes] = set()
    tail = b""
    with archive.open(_sheet_part(archive, sheet_name)) as part:
        while chunk := part.read(1 << 20):
            buffer = tail + chunk
            refs.update(match.group(1) for match in _MERGE_CELL.finditer(buffer))
            tail = buffer[-256:]
    ranges = []
    for ref in refs:
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii"))
        if (
            min_col is not None
            and min_row is not None
            and max_col is not None
            and max_row is not None
        ):
            ranges.append(MergedRange(min_row, min_col, max_row, max_col))
    return sorted(ranges)


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str:
    """Path of a sheet's XML part inside the package, by the OPC relationships."""
    package_rels = _elements(archive, "_rels/.rels")
    workbook = next(
        rel.get("Target", "")
        for rel in package_rels
        if rel.get("Type", "").endswith("/officeDocument")
    ).lstrip("/")
    base = posixpath.dirname(workbook)
    rels_path = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets = {rel.get("Id"): rel.get("Target", "") for rel in _elements(archive, rels_path)}
    for element in _elements(archive, workbook):
        if element.tag.endswith("}sheet") and element.get("name") == sheet_name:
            rel_id = next(v for k, v in element.attrib.items() if k.endswith("}id"))
            target = str(targets[rel_id])
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join(base, target))
    raise KeyError(sheet_name)


def _elements(archive: zipfile.ZipFile, part: str) -> list[Any]:
    """Every element of a small XML part, parsed the way openpyxl parses (defusedxml or lxml
    when installed), comments and processing instructions left out."""
    return [e for e in fromstring(archive.read(part)).iter() if isinstance(e.tag, str)]


def header_text(value: object) -> str:
    """A header cell as a name: trimmed, line breaks inside the cell removed."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = format_float(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return "".join(part.strip() for part in text.splitlines()).strip()


def detect_header(
    grid: list[list[object]], merges: list[MergedRange], header_row: int | None = None
) -> HeaderLayout:
    """Find the header rows in the first rows of a sheet and name the columns.

    `grid[i]` holds the raw values of sheet row i + 1. `header_row` (1-based) skips detection.
    Raises ConnectorError(missing_header | duplicate_header).
    """
    filled, sources = _fill_merges(grid, merges)
    width = max((_last_filled(row) for row in filled), default=0)
    if header_row is None:
        header_row = next(
            (i + 1 for i, row in enumerate(filled) if _looks_like_header(row, sources[i], width)),
            None,
        )
    if header_row is None or header_row > len(filled) or width == 0:
        raise ConnectorError(
            MISSING_HEADER, f"前 {len(grid)} 行中找不到表头行（大部分列都有文字列名的一行）"
        )
    rows = [header_row]
    while (
        len(rows) < MAX_HEADER_DEPTH
        and rows[-1] < len(filled)
        and _continues_header(rows, filled, merges)
    ):
        rows.append(rows[-1] + 1)
    present = [c for c in range(width) if any(filled[r - 1][c] not in (None, "") for r in rows)]
    if not present:
        raise ConnectorError(MISSING_HEADER, f"第 {header_row} 行没有列名", row=header_row)
    first, last = present[0] + 1, present[-1] + 1
    names: list[str] = []
    seen: dict[str, str] = {}
    for col in range(first, last + 1):
        parts: list[str] = []
        for r in rows:
            part = header_text(filled[r - 1][col - 1])
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        name, letter = "_".join(parts), get_column_letter(col)
        if not name:
            raise ConnectorError(
                MISSING_HEADER,
                f"表头第 {rows[0]} 行的 {letter} 列没有列名",
                row=rows[0],
                field=letter,
            )
        if name in seen:
            raise ConnectorError(
                DUPLICATE_HEADER,
                f"表头中列名“{name}”重复出现（{seen[name]} 列和 {letter} 列）",
                row=rows[0],
                field=letter,
            )
        seen[name] = letter
        names.append(name)
    return HeaderLayout(tuple(rows), first, last, names)


def _fill_merges(
    grid: list[list[object]], merges: list[MergedRange]
) -> tuple[list[list[object]], list[list[tuple[int, int]]]]:
    """Copy each merged range's value into all its cells; remember which range a cell came from."""
    width = max(
        [len(row) for row in grid] + [m.max_col for m in merges if m.min_row <= len(grid)] + [0]
    )
    filled = [list(row) + [None] * (width - len(row)) for row in grid]
    sources = [[(r, c) for c in range(width)] for r in range(len(grid))]
    for merge in merges:
        if merge.min_row > len(grid):
            continue
        value = filled[merge.min_row - 1][merge.min_col - 1]
        for r in range(merge.min_row, min(merge.max_row, len(grid)) + 1):
            for c in range(merge.min_col, merge.max_col + 1):
                filled[r - 1][c - 1] = value
                sources[r - 1][c - 1] = (merge.min_row - 1, merge.min_col - 1)
    return filled, sources


def _last_filled(row: list[object]) -> int:
    return max((i + 1 for i, value in enumerate(row) if value not in (None, "")), default=0)


def _looks_like_header(row: list[object], sources: list[tuple[int, int]], width: int) -> bool:
    cells = [i for i, value in enumerate(row) if value not in (None, "")]
    if not cells or len(cells) < _MIN_COVERAGE * width:
        return False
    if width > 1 and len({sources[i] for i in cells}) < 2:
        return False  # one merged cell across the table: a title
    texts = sum(1 for i in cells if isinstance(row[i], str))
    return texts >= _MIN_TEXT_SHARE * len(cells)


def _continues_header(
    rows: list[int], filled: list[list[object]], merges: list[MergedRange]
) -> bool:
    """Whether the row under `rows` still belongs to a multi-level header."""
    below = rows[-1] + 1
    for merge in merges:
        if merge.min_row in rows and merge.max_row >= below:
            return True  # 姓名 merged down over both header levels
        if (
            merge.min_row == rows[-1]
            and merge.max_row == rows[-1]
            and merge.max_col > merge.min_col
        ):
            under = filled[below - 1][merge.min_col - 1 : merge.max_col]
            if all(isinstance(value, str) and value.strip() for value in under):
                return True  # 联系方式 spanning 手机 and 座机 on the next row
    return False
