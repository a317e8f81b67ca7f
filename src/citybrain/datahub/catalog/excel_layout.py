"""The catalog workbook: two sheets (资源, 信息项) with Chinese headers, and the pure parsing of
their rows into resource specs with every problem located by sheet, row and column header.

No session and no I/O beyond reading an already-loaded workbook; the database checks and the
writes live in :mod:`citybrain.datahub.catalog.excel`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from citybrain.datahub.catalog.enums import (
    LABELS,
    ItemType,
    MaskKind,
    OpenAttribute,
    ResourceCategory,
    ResourceStatus,
    Sensitivity,
    ShareMethod,
    ShareType,
    UpdateCycle,
    parse_label,
)
from citybrain.datahub.catalog.schemas import ResourceCreate, split_codes

RESOURCE_SHEET = "资源"
ITEM_SHEET = "信息项"


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    field: str
    width: int
    enum: type[StrEnum] | None = None
    export_only: bool = False  # shown for people, ignored on import
    required: bool = False


RESOURCE_COLUMNS = (
    Column("资源代码", "code", 18, required=True),
    Column("资源名称", "name", 26, required=True),
    Column("提供方代码", "provider_code", 14, required=True),
    Column("提供方名称", "provider_name", 22, export_only=True),
    Column("资源摘要", "summary", 40),
    Column("资源分类", "category", 10, ResourceCategory, required=True),
    Column("资源格式", "format", 10),
    Column("共享类型", "share_type", 12, ShareType, required=True),
    Column("共享条件", "share_condition", 30),
    Column("不予共享依据", "share_basis", 30),
    Column("共享方式", "share_method", 10, ShareMethod, required=True),
    Column("开放属性", "open_attribute", 12, OpenAttribute, required=True),
    Column("更新周期", "update_cycle", 10, UpdateCycle),
    Column("发布日期", "released_on", 12),
    Column("关联资源代码", "related_codes", 28),
    Column("主键信息项", "key_item", 14),
    Column("版本信息项", "version_item", 14),
    Column("状态", "status", 8, ResourceStatus),
    Column("版本", "version", 6, export_only=True),
)
ITEM_COLUMNS = (
    Column("资源代码", "code", 18, required=True),
    Column("序号", "position", 6),
    Column("信息项名称", "name", 20, required=True),
    Column("中文名称", "title", 20, required=True),
    Column("数据类型", "type", 12, ItemType, required=True),
    Column("数据长度", "length", 10),
    Column("描述", "description", 36),
    Column("敏感级别", "sensitivity", 10, Sensitivity, required=True),
    Column("脱敏方式", "mask", 14, MaskKind),
)
_RESOURCE_HEADER = {c.field: c.header for c in RESOURCE_COLUMNS}
_ITEM_HEADER = {c.field: c.header for c in ITEM_COLUMNS}


@dataclass(frozen=True, slots=True)
class CellError:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ParsedResource:
    """One row of 资源 with its 信息项 rows; ``spec`` is None when the rows did not validate."""

    row: int
    code: str
    status: ResourceStatus = ResourceStatus.active
    spec: ResourceCreate | None = None
    item_rows: list[int] = field(default_factory=list)

    def cell(self, field_name: str, item_index: int | None = None) -> tuple[str, int, str]:
        """Sheet, row and header of a field of this resource (or of one of its items)."""
        if item_index is not None and item_index < len(self.item_rows):
            return ITEM_SHEET, self.item_rows[item_index], _ITEM_HEADER.get(field_name, field_name)
        return RESOURCE_SHEET, self.row, _RESOURCE_HEADER.get(field_name, field_name)


@dataclass
class ParsedWorkbook:
    resources: list[ParsedResource] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


def parse_workbook(sheets: dict[str, Worksheet]) -> ParsedWorkbook:
    """Every resource of the workbook, or the problems that keep each one from validating."""
    out = ParsedWorkbook()
    resource_rows = _rows(sheets, RESOURCE_SHEET, RESOURCE_COLUMNS, out.errors)
    item_rows = _rows(sheets, ITEM_SHEET, ITEM_COLUMNS, out.errors)
    if resource_rows is None or item_rows is None:
        return out
    by_code: dict[str, tuple[ParsedResource, dict[str, Any]]] = {}
    for row_number, raw in resource_rows:
        data = _convert(raw, RESOURCE_COLUMNS, RESOURCE_SHEET, row_number, out.errors)
        code = str(data.get("code") or "")
        parsed = ParsedResource(row=row_number, code=code)
        if code in by_code:
            out.errors.append(
                CellError(RESOURCE_SHEET, row_number, "资源代码", f"资源代码重复: {code}")
            )
            continue
        if isinstance(data.get("status"), ResourceStatus):
            parsed.status = data["status"]
        data["items"] = []
        by_code[code] = (parsed, data)
        out.resources.append(parsed)
    items_sorted: list[tuple[int, dict[str, Any]]] = []
    for row_number, raw in item_rows:
        data = _convert(raw, ITEM_COLUMNS, ITEM_SHEET, row_number, out.errors)
        code = str(data.pop("code", "") or "")
        if code not in by_code:
            out.errors.append(
                CellError(ITEM_SHEET, row_number, "资源代码", f"资源代码不存在: {code}")
            )
            continue
        data["_code"] = code
        items_sorted.append((row_number, data))
    # 序号 orders the items of a resource; rows without one keep their sheet order after them.
    items_sorted.sort(key=lambda e: (e[1].get("position") is None, e[1].get("position") or 0, e[0]))
    for row_number, data in items_sorted:
        parsed, resource_data = by_code[data.pop("_code")]
        data.pop("position", None)
        parsed.item_rows.append(row_number)
        resource_data["items"].append({k: v for k, v in data.items() if v is not None})
    for parsed, data in by_code.values():
        _validate(parsed, data, out.errors)
    return out


def _validate(parsed: ParsedResource, data: dict[str, Any], errors: list[CellError]) -> None:
    if not data["items"]:
        errors.append(
            CellError(
                RESOURCE_SHEET, parsed.row, "资源代码", "资源没有信息项 (请在「信息项」表登记)"
            )
        )
        return
    data = {k: v for k, v in data.items() if v is not None and k != "status"}
    try:
        spec = ResourceCreate.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = err["loc"]
            index = loc[1] if loc[0] == "items" and len(loc) > 2 else None
            name = str(loc[2]) if index is not None else str(loc[0])
            sheet, row, column = parsed.cell(name, index if isinstance(index, int) else None)
            errors.append(CellError(sheet, row, column, _message(err)))
        return
    violations = spec.rule_violations()
    for v in violations:
        sheet, row, column = parsed.cell(v.field, v.item_index)
        errors.append(CellError(sheet, row, column, v.message))
    if not violations:
        parsed.spec = spec


_PYDANTIC_MESSAGES = {
    "string_pattern_mismatch": "格式不正确",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "missing": "必须填写",
    "greater_than_equal": "必须大于 0",
    "less_than_equal": "超出范围",
}


def _message(err: Any) -> str:
    base = _PYDANTIC_MESSAGES.get(err["type"], "不合法")
    if err["type"] == "string_pattern_mismatch" and err["loc"][0] in ("code", "related_codes"):
        return f"{base}: 资源代码形如 620722-GA-001 (区划代码-部门简称-序号)"
    if err["type"] == "string_pattern_mismatch":
        return f"{base}: 信息项名称须为小写字母开头的字母、数字、下划线"
    return f"{base}: {err['msg']}"


def _rows(
    sheets: dict[str, Worksheet],
    name: str,
    columns: tuple[Column, ...],
    errors: list[CellError],
) -> list[tuple[int, dict[str, Any]]] | None:
    sheet = sheets.get(name)
    if sheet is None:
        errors.append(CellError(name, None, None, f"缺少工作表「{name}」"))
        return None
    rows = sheet.iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    where = {h: i for i, h in enumerate(header) if h}
    missing = [c.header for c in columns if c.required and c.header not in where]
    for title in missing:
        errors.append(CellError(name, 1, title, "缺少此列"))
    if missing:
        return None
    out: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        out.append(
            (
                number,
                {
                    c.field: values[where[c.header]] if where[c.header] < len(values) else None
                    for c in columns
                    if c.header in where and not c.export_only
                },
            )
        )
    return out


def _convert(
    raw: dict[str, Any], columns: tuple[Column, ...], sheet: str, row: int, errors: list[CellError]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in columns:
        if column.field not in raw:
            continue
        value = raw[column.field]
        text = "" if value is None else str(value).strip()
        try:
            out[column.field] = _cell_value(column, value, text)
        except ValueError as exc:
            errors.append(CellError(sheet, row, column.header, str(exc)))
    return out


def _cell_value(column: Column, value: Any, text: str) -> Any:
    """The field's value; a blank cell is None, which leaves the field at its default."""
    if not text:
        return None
    if column.enum is not None:
        member = parse_label(column.enum, text)
        if member is None:
            raise ValueError(f"「{text}」不是可选值之一: {'、'.join(enum_labels(column.enum))}")
        return member
    if column.field == "released_on":
        return _date(value, text)
    if column.field in ("length", "position"):
        return _integer(value, text)
    if column.field == "related_codes":
        return split_codes(text)
    return text


def _date(value: Any, text: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if match is None:
        raise ValueError(f"「{text}」不是日期 (如 2024-03-01)")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise ValueError(f"「{text}」不是有效日期") from exc


def _integer(value: Any, text: str) -> int | None:
    if not text:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) or text.isdigit():
        return int(text)
    raise ValueError(f"「{text}」不是整数")


def enum_labels(enum: type[StrEnum]) -> list[str]:
    return list(LABELS[enum].values())
