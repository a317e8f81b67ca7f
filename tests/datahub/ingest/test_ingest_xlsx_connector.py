from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from ingest_fixtures import fake_people

from citybrain.datahub.ingest.connectors import ConnectorError, SourceRecord, XlsxConnector
from citybrain.datahub.ingest.connectors._xlsx_layout import MergedRange, detect_header
from citybrain.datahub.ingest.connectors.xlsx_source import cell_text

Row = list[object]


def build(path: Path, rows: list[Row], merges: tuple[str, ...] = (), title: str = "Sheet1") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    workbook.save(path)
    return path


def roster(tmp_path: Path) -> tuple[Path, list[dict[str, str | None]]]:
    """民乐县低保名册: merged title, a 填报单位 line, two-level header, synthetic people."""
    people = fake_people(3, seed=7)
    rows: list[Row] = [
        ["民乐县低保对象名册（2024年）"],
        ["填报单位：洪水镇人民政府", None, None, None, "填报日期：2024-06-30"],
        ["序号", "姓名", "公民身份号码", "联系方式", None, "出生日期", "月保障金额\n（元）"],
        [None, None, None, "手机", "座机", None, None],
    ]
    amounts = [312.5, 400.0, 1250]
    for index, person in enumerate(people, start=1):
        born = dt.datetime.fromisoformat(str(person["出生日期"]))
        phone = 13800138000 + index
        rows.append(
            [
                index,
                person["姓名"],
                person["公民身份号码"],
                phone,
                "0936-4421234",
                born,
                amounts[index - 1],
            ]
        )
    merges = ("A1:G1", "A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:F4", "G3:G4")
    return build(tmp_path / "低保名册.xlsx", rows, merges, title="低保名册"), people


def test_title_rows_are_skipped_and_two_level_header_is_joined(tmp_path: Path) -> None:
    path, people = roster(tmp_path)
    connector = XlsxConnector(path)
    assert connector.columns() == [
        "序号",
        "姓名",
        "公民身份号码",
        "联系方式_手机",
        "联系方式_座机",
        "出生日期",
        "月保障金额（元）",
    ]
    assert connector.layout().header_rows == (3, 4)
    records = list(connector.iter_records())
    assert [r.row for r in records] == [5, 6, 7]
    assert records[0].values == {
        "序号": "1",
        "姓名": people[0]["姓名"],
        "公民身份号码": people[0]["公民身份号码"],
        "联系方式_手机": "13800138001",
        "联系方式_座机": "0936-4421234",
        "出生日期": people[0]["出生日期"],
        "月保障金额（元）": "312.5",
    }
    assert [r.values["月保障金额（元）"] for r in records] == ["312.5", "400", "1250"]
    assert [r.values["出生日期"] for r in records] == [p["出生日期"] for p in people]


def test_sheet_by_name_and_unknown_sheet(tmp_path: Path) -> None:
    path, _ = roster(tmp_path)
    assert len(list(XlsxConnector(path, sheet="低保名册").iter_records())) == 3
    with pytest.raises(ConnectorError) as caught:
        XlsxConnector(path, sheet="特困名册").columns()
    assert caught.value.code == "sheet_not_found"
    assert "低保名册" in caught.value.message_zh


def test_missing_header_names_the_column_letter(tmp_path: Path) -> None:
    path = build(
        tmp_path / "m.xlsx", [["姓名", "性别", None, "户籍地址"], ["张伟", "男", "x", "洪水镇"]]
    )
    with pytest.raises(ConnectorError) as caught:
        XlsxConnector(path).columns()
    assert (caught.value.code, caught.value.row, caught.value.field) == ("missing_header", 1, "C")
    assert "C 列" in caught.value.message_zh


def test_duplicate_header_names_both_letters(tmp_path: Path) -> None:
    path = build(tmp_path / "d.xlsx", [["姓名", "性别", "姓名"], ["张伟", "男", "李娜"]])
    with pytest.raises(ConnectorError) as caught:
        XlsxConnector(path).columns()
    assert (caught.value.code, caught.value.field) == ("duplicate_header", "C")
    assert "A 列和 C 列" in caught.value.message_zh


def test_sheet_without_a_text_header_row(tmp_path: Path) -> None:
    path = build(tmp_path / "n.xlsx", [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ConnectorError) as caught:
        XlsxConnector(path).columns()
    assert caught.value.code == "missing_header"


def test_id_number_stored_as_float_lost_digits(tmp_path: Path) -> None:
    rows: list[Row] = [
        ["姓名", "公民身份号码"],
        ["张伟", "620722199001011234"],
        ["李娜", 6.20722199001011e17],
    ]
    path = build(tmp_path / "id.xlsx", rows)
    with pytest.raises(ConnectorError) as caught:
        list(XlsxConnector(path).iter_records())
    assert (caught.value.code, caught.value.row, caught.value.field) == (
        "precision_lost",
        3,
        "公民身份号码",
    )
    assert "B 列" in caught.value.message_zh
    assert "6.20722199001011e+17" in caught.value.message_zh
    kept = list(XlsxConnector(path, row_errors="record").iter_records())
    assert kept[0] == SourceRecord(2, {"姓名": "张伟", "公民身份号码": "620722199001011234"})
    assert kept[1].values == {"姓名": "李娜", "公民身份号码": None}
    assert kept[1].error is not None
    assert kept[1].error.code == "precision_lost"


def test_formula_error_cell(tmp_path: Path) -> None:
    path = build(tmp_path / "e.xlsx", [["姓名", "比例"], ["张伟", "#DIV/0!"]])
    with pytest.raises(ConnectorError) as caught:
        list(XlsxConnector(path).iter_records())
    assert (caught.value.code, caught.value.row, caught.value.field) == ("formula_error", 2, "比例")


def test_vertically_merged_data_cell_reaches_every_row(tmp_path: Path) -> None:
    rows: list[Row] = [
        ["所属村", "户主"],
        ["新天村", "张伟"],
        [None, "李娜"],
        [None, "王芳"],
        ["南丰村", "刘洋"],
    ]
    path = build(tmp_path / "v.xlsx", rows, merges=("A2:A4",))
    records = list(XlsxConnector(path).iter_records())
    assert [(r.row, r.values["所属村"], r.values["户主"]) for r in records] == [
        (2, "新天村", "张伟"),
        (3, "新天村", "李娜"),
        (4, "新天村", "王芳"),
        (5, "南丰村", "刘洋"),
    ]


def test_value_outside_the_header_is_a_row_error(tmp_path: Path) -> None:
    rows: list[Row] = [
        ["姓名", "性别", "年龄"],
        ["张伟", "男", 30],
        ["李娜", "女", 28, None, "备注"],
    ]
    path = build(tmp_path / "w.xlsx", rows)
    with pytest.raises(ConnectorError) as caught:
        list(XlsxConnector(path).iter_records())
    assert (caught.value.code, caught.value.row, caught.value.field) == ("stray_value", 3, "E")


def test_wrong_stored_dimension_does_not_truncate(tmp_path: Path) -> None:
    good = build(tmp_path / "g.xlsx", [["姓名", "性别"], ["张伟", "男"], ["李娜", "女"]])
    bad = tmp_path / "dim.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
            target.writestr(item, data)
    assert [r.values["性别"] for r in XlsxConnector(bad).iter_records()] == ["男", "女"]


def test_not_an_xlsx_file(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes("姓名,性别\n".encode("gbk"))
    with pytest.raises(ConnectorError) as caught:
        XlsxConnector(path).columns()
    assert caught.value.code == "unsupported_format"


def test_explicit_header_row(tmp_path: Path) -> None:
    rows: list[Row] = [["说明", "本表由系统导出"], ["编号", "金额"], [1, 2.5]]
    path = build(tmp_path / "h.xlsx", rows)
    assert XlsxConnector(path).columns() == ["说明", "本表由系统导出"]
    connector = XlsxConnector(path, header_row=2)
    assert connector.columns() == ["编号", "金额"]
    assert list(connector.iter_records()) == [SourceRecord(3, {"编号": "1", "金额": "2.5"})]


def test_header_detection_skips_titles_and_numeric_rows() -> None:
    grid: list[Row] = [
        ["2024年民乐县企业名录", None, None, None],
        [None, None, "单位：万元", None],
        ["统一社会信用代码", "企业名称", "注册资本", "成立日期"],
        ["91620722MA73XXXX1A", "民乐县某某农业有限公司", 500, dt.datetime(2019, 5, 6)],
    ]
    layout = detect_header(grid, [MergedRange(1, 1, 1, 4)])
    assert (layout.header_rows, layout.first_col, layout.last_col) == ((3,), 1, 4)
    assert layout.names == ["统一社会信用代码", "企业名称", "注册资本", "成立日期"]
    assert detect_header([[None, "姓名", "性别"], [None, "张伟", "男"]], []).first_col == 2


def test_horizontal_merge_alone_makes_a_second_header_level() -> None:
    grid: list[Row] = [
        ["姓名", "联系方式", None],
        [None, "手机", "座机"],
        ["张伟", "13800138000", None],
    ]
    layout = detect_header(grid, [MergedRange(1, 2, 1, 3)])
    assert layout.names == ["姓名", "联系方式_手机", "联系方式_座机"]
    assert layout.data_start == 3


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        (42, "42"),
        (42.0, "42"),
        (0.1, "0.1"),
        (1e-05, "0.00001"),
        (999999999999999.0, "999999999999999"),
        (True, "true"),
        (dt.datetime(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 8, 30), "2024-02-29 08:30:00"),
        (dt.time(8, 30), "08:30:00"),
    ],
)
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def test_cell_text_refuses_sixteen_digit_numbers() -> None:
    with pytest.raises(ValueError, match="超过 15 位"):
        cell_text(1234567890123456.0)
