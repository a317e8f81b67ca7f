"""The catalog workbook: layout, round trip, upsert, and all-or-nothing import with located
errors."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import BadInput
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import excel, queries
from citybrain.datahub.catalog.models import (
    CatalogItem,
    CatalogResource,
    CatalogResourceVersion,
)


def book_of(data: bytes) -> Workbook:
    return load_workbook(BytesIO(data))


def saved(book: Workbook) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def values(book: Workbook) -> dict[str, list[tuple[Any, ...]]]:
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def column(sheet: Worksheet, header: str) -> int:
    headers = [cell.value for cell in sheet[1]]
    return headers.index(header) + 1


def row_of(sheet: Worksheet, code: str) -> int:
    for number, (value,) in enumerate(sheet.iter_rows(min_col=1, max_col=1, values_only=True), 1):
        if value == code:
            return number
    raise AssertionError(code)


def counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (CatalogResource, CatalogItem, CatalogResourceVersion, AuditRecord)
    )


def test_export_layout(session: Session, demo_catalog: list[CatalogResource]) -> None:
    book = book_of(excel.export_catalog(session, scope=Scope.system()))

    assert book.sheetnames == ["资源", "信息项"]
    resources, items = book["资源"], book["信息项"]
    assert resources.freeze_panes == "A2"
    assert items.freeze_panes == "A2"
    assert [c.value for c in resources[1]][:4] == [
        "资源代码",
        "资源名称",
        "提供方代码",
        "提供方名称",
    ]
    assert resources.column_dimensions["A"].width == 18
    row = row_of(resources, "620722-GA-001")
    assert resources.cell(row, column(resources, "共享类型")).value == "有条件共享"
    assert resources.cell(row, column(resources, "资源分类")).value == "基础"
    assert resources.cell(row, column(resources, "开放属性")).value == "不予开放"
    assert resources.cell(row, column(resources, "提供方名称")).value == "民乐县公安局"
    lists = [dv.formula1 for dv in resources.data_validations.dataValidation]
    assert '"无条件共享,有条件共享,不予共享"' in lists
    item_lists = [dv.formula1 for dv in items.data_validations.dataValidation]
    assert '"公开,内部,敏感,核心"' in item_lists
    id_row = next(r for r in items.iter_rows(values_only=True) if r[2] == "id_number")
    assert id_row == ("620722-GA-001", 2, "id_number", "公民身份号码", "字符型", 18,
                      "GB 11643 18 位", "敏感", "身份证号脱敏")  # fmt: skip
    codes = [r[0] for r in items.iter_rows(min_row=2, values_only=True)]
    assert codes.count("620722-GA-001") == 9


def test_round_trip_changes_nothing(session: Session, demo_catalog: list[CatalogResource]) -> None:
    first = excel.export_catalog(session, scope=Scope.system())
    before = counts(session)

    result = excel.import_catalog(session, data=first, scope=Scope.system())

    assert (result.created, result.updated, result.unchanged) == (0, 0, 9)
    after = counts(session)
    assert after[:3] == before[:3]  # no resource, item or version written
    assert after[3] == before[3] + 1  # only the import's own audit record
    assert values(book_of(excel.export_catalog(session, scope=Scope.system()))) == values(
        book_of(first)
    )


def test_import_upserts_by_code(session: Session, demo_catalog: list[CatalogResource]) -> None:
    book = book_of(excel.export_catalog(session, scope=Scope.system()))
    resources, items = book["资源"], book["信息项"]
    resources.cell(
        row_of(resources, "620722-SJ-001"), column(resources, "资源摘要")
    ).value = "新摘要"
    new_row: list[object] = [None] * resources.max_column
    for header, value in {
        "资源代码": "620722-GA-003", "资源名称": "机动车登记信息", "提供方代码": "620722-GA",
        "资源分类": "部门", "共享类型": "无条件共享", "共享方式": "接口", "开放属性": "不予开放",
        "更新周期": "每日", "发布日期": "2024/5/1", "关联资源代码": "620722-GA-001",
    }.items():  # fmt: skip
        new_row[column(resources, header) - 1] = value
    resources.append(new_row)
    items.append(["620722-GA-003", 1, "plate_no", "号牌号码", "字符型", 12, "", "内部", "不脱敏"])

    result = excel.import_catalog(session, data=saved(book), scope=Scope.system())

    assert (result.created, result.updated, result.unchanged) == (1, 1, 8)
    assert result.codes_updated == ["620722-SJ-001"]
    changed = queries.get_resource(session, "620722-SJ-001", scope=Scope.system())
    assert (changed.summary, changed.version) == ("新摘要", 2)
    created = queries.read_resource(session, "620722-GA-003", scope=Scope.system())
    assert created.related_codes == ["620722-GA-001"]
    assert str(created.released_on) == "2024-05-01"
    assert [i.title for i in created.items] == ["号牌号码"]


def test_two_bad_rows_answer_one_error_and_load_nothing(
    session: Session, demo_catalog: list[CatalogResource]
) -> None:
    book = book_of(excel.export_catalog(session, scope=Scope.system()))
    resources, items = book["资源"], book["信息项"]
    good = row_of(resources, "620722-SJ-001")
    resources.cell(good, column(resources, "资源摘要")).value = "这一行本身没有问题"
    bad = row_of(resources, "620722-MZ-001")
    resources.cell(bad, column(resources, "共享条件")).value = None
    items.append(["620722-XX-001", 1, "name", "姓名", "字符型", 50, "", "敏感", "姓名脱敏"])
    bad_item = items.max_row
    before = counts(session)

    with pytest.raises(BadInput) as caught:
        excel.import_catalog(session, data=saved(book), scope=Scope.system())

    error = caught.value
    assert error.code == "catalog_import_invalid"
    assert error.detail == [
        {"sheet": "资源", "row": bad, "column": "共享条件",
         "message": "有条件共享须填写共享条件"},
        {"sheet": "信息项", "row": bad_item, "column": "资源代码",
         "message": "资源代码不存在: 620722-XX-001"},
    ]  # fmt: skip
    assert counts(session) == before
    assert queries.get_resource(session, "620722-SJ-001", scope=Scope.system()).version == 1


def test_cell_errors_name_the_column_and_the_choices(
    session: Session, demo_catalog: list[CatalogResource]
) -> None:
    book = book_of(excel.export_catalog(session, scope=Scope.system()))
    resources, items = book["资源"], book["信息项"]
    row = row_of(resources, "620722-WJ-001")
    resources.cell(row, column(resources, "开放属性")).value = "部分开放"
    resources.cell(row, column(resources, "发布日期")).value = "去年"
    item_row = next(
        n for n, r in enumerate(items.iter_rows(values_only=True), 1) if r[0] == "620722-WJ-001"
    )
    items.cell(item_row, column(items, "信息项名称")).value = "Doctor Name"

    with pytest.raises(BadInput) as caught:
        excel.import_catalog(session, data=saved(book), scope=Scope.system())

    located = {(e["sheet"], e["row"], e["column"]): e["message"] for e in caught.value.detail}
    assert "无条件开放、有条件开放、不予开放" in located[("资源", row, "开放属性")]
    assert "不是日期" in located[("资源", row, "发布日期")]
    assert "小写字母" in located[("信息项", item_row, "信息项名称")]


def test_not_a_workbook(session: Session) -> None:
    with pytest.raises(BadInput) as caught:
        excel.import_catalog(session, data=b"name,title\n", scope=Scope.system())
    assert caught.value.code == "catalog_import_invalid"
    assert caught.value.detail[0]["message"] == "不是有效的 Excel (xlsx) 文件"


def test_missing_sheet_and_column(session: Session) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "资源"
    sheet.append(["资源代码", "资源名称"])
    with pytest.raises(BadInput) as caught:
        excel.import_catalog(session, data=saved(book), scope=Scope.system())
    located = [(e["sheet"], e["column"]) for e in caught.value.detail]
    assert ("资源", "提供方代码") in located
    assert ("信息项", None) in located
