"""The whole catalog as one Excel workbook, out and back in, because bureaus keep it there.

Export: sheets 资源 and 信息项, Chinese headers, enumerations as their Chinese labels with
drop-down validation lists, a frozen header row and set column widths.
Import: the same layout, all or nothing. Every problem of every row is collected first (sheet,
row number, column header, message) and answered as one BadInput ``catalog_import_invalid``;
only a workbook without problems is written, resource by resource through the service, upserted
by 资源代码: new codes are registered, changed resources get a new version, unchanged ones are
left untouched.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.errors import BadInput
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries, service
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.catalog.enums import LABELS
from citybrain.datahub.catalog.excel_layout import (
    ITEM_COLUMNS,
    ITEM_SHEET,
    RESOURCE_COLUMNS,
    RESOURCE_SHEET,
    CellError,
    Column,
    ParsedResource,
    parse_workbook,
)
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.catalog.schemas import ImportResult, ResourceCreate, resource_fields

MAX_IMPORT_BYTES = 20 * 1024 * 1024
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LAST_ROW = 1_048_576  # validation lists cover the whole column, rows added later included


def export_catalog(session: Session, *, scope: Scope) -> bytes:
    """The resources the caller manages (all statuses), as an XLSX file's bytes."""
    resources = queries.all_resources(session, scope=scope)
    names = queries.department_names(session, (r.provider_code for r in resources))
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # noqa: S101 - a new workbook always has one sheet
    sheet.title = RESOURCE_SHEET
    items = book.create_sheet(ITEM_SHEET)
    _prepare(sheet, RESOURCE_COLUMNS)
    _prepare(items, ITEM_COLUMNS)
    for resource in resources:
        sheet.append(_resource_row(resource, names.get(resource.provider_code, "")))
        for item in resource.items:
            items.append(
                [
                    resource.code, item.position, item.name, item.title,
                    _label("type", item.type), item.length, item.description,
                    _label("sensitivity", item.sensitivity), _label("mask", item.mask),
                ]
            )  # fmt: skip
    released = _index(RESOURCE_COLUMNS, "released_on")
    for (cell,) in sheet.iter_rows(min_row=2, min_col=released, max_col=released):
        cell.number_format = "yyyy-mm-dd"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def import_catalog(session: Session, *, data: bytes, scope: Scope) -> ImportResult:
    """Upsert the catalog from an XLSX in the export's layout; nothing is written unless the
    whole workbook is valid.

    Side effects: resources registered or changed through the service (each audited and
    versioned), plus one ``catalog.import`` audit record with the counts. The writes run in a
    savepoint, so even an unexpected failure leaves the tables as they were.
    Raises BadInput ``catalog_import_invalid`` with ``detail`` = every problem as
    ``{sheet, row, column, message}`` (row numbers as Excel shows them).
    """
    parsed = parse_workbook(_load(data))
    errors = list(parsed.errors)
    pending = {p.code for p in parsed.resources if p.code}
    plans: list[tuple[ParsedResource, ResourceCreate, CatalogResource | None]] = []
    for entry in parsed.resources:
        if entry.spec is None:
            continue
        existing = service.find_resource(session, entry.code)
        if existing is not None and not catalog_scope.covers(scope, existing.region_code):
            errors.append(
                CellError(RESOURCE_SHEET, entry.row, "资源代码", "资源不属于本辖区, 不能修改")
            )
            continue
        for problem in service.problems_of(session, entry.spec, scope=scope, pending_codes=pending):
            where = entry.cell(problem.field, problem.item_index)
            errors.append(CellError(*where, problem.message))
        plans.append((entry, entry.spec, existing))
    if errors:
        order = {RESOURCE_SHEET: 0, ITEM_SHEET: 1}
        errors.sort(key=lambda e: (order.get(e.sheet, 2), e.row or 0))
        raise BadInput(
            f"目录导入失败: 共 {len(errors)} 处错误, 未导入任何数据",
            code="catalog_import_invalid",
            detail=[e.as_dict() for e in errors],
        )
    result = ImportResult(created=0, updated=0, unchanged=0, codes_created=[], codes_updated=[])
    with session.begin_nested():
        for entry, spec, existing in plans:
            if existing is None:
                service.insert_resource(session, spec=spec, status=entry.status)
                result.created += 1
                result.codes_created.append(entry.code)
                continue
            before = existing.version
            service.apply_change(session, existing, spec, entry.status)
            if existing.version == before:
                result.unchanged += 1
            else:
                result.updated += 1
                result.codes_updated.append(entry.code)
    audit.record(
        session, action="catalog.import", object_type="catalog", object_id="xlsx",
        region_code=scope.region_code or None,
        detail={"created": result.created, "updated": result.updated,
                "unchanged": result.unchanged},
    )  # fmt: skip
    return result


def _load(data: bytes) -> dict[str, Worksheet]:
    if len(data) > MAX_IMPORT_BYTES:
        raise _invalid_file(f"文件超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        book = load_workbook(BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _invalid_file("不是有效的 Excel (xlsx) 文件") from exc
    return {ws.title: ws for ws in book.worksheets}


def _invalid_file(message: str) -> BadInput:
    return BadInput(
        f"目录导入失败: {message}",
        code="catalog_import_invalid",
        detail=[{"sheet": None, "row": None, "column": None, "message": message}],
    )


def _resource_row(resource: CatalogResource, provider_name: str) -> list[Any]:
    fields = resource_fields(resource)
    values: dict[str, Any] = {
        **fields,
        "provider_name": provider_name,
        "related_codes": ", ".join(fields["related_codes"]),
        "status": resource.status,
        "version": resource.version,
    }
    row: list[Any] = []
    for column in RESOURCE_COLUMNS:
        value = values.get(column.field)
        if column.enum is not None and value:
            value = LABELS[column.enum][str(value)]
        row.append(value if value != "" else None)
    return row


def _label(field: str, value: str) -> str:
    column = next(c for c in ITEM_COLUMNS if c.field == field)
    assert column.enum is not None  # noqa: S101 - the layout declares these as enumerations
    return LABELS[column.enum][value]


def _index(columns: tuple[Column, ...], field: str) -> int:
    return next(i for i, c in enumerate(columns, start=1) if c.field == field)


def _prepare(sheet: Worksheet, columns: tuple[Column, ...]) -> None:
    """Header row (bold, shaded, frozen), widths, and a drop-down list on enumerated columns."""
    sheet.append([c.header for c in columns])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="9C0006" if column.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.enum is not None:
            choices = ",".join(LABELS[column.enum].values())
            validation = DataValidation(
                type="list", formula1=f'"{choices}"', allow_blank=not column.required,
                showErrorMessage=True, errorTitle="取值不合法",
                error=f"请从下拉列表中选择: {choices}",
            )  # fmt: skip
            validation.add(f"{letter}2:{letter}{_LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
