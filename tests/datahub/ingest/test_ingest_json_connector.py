from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from ingest_fixtures import fake_people

from citybrain.datahub.ingest.connectors import (
    Connector,
    ConnectorError,
    CsvConnector,
    HttpJsonConnector,
    JsonConnector,
    SourceRecord,
    SqlConnector,
    XlsxConnector,
    open_source,
)

ENTERPRISES = [
    {
        "统一社会信用代码": "91620722MA73ABCD1X",
        "名称": "民乐县某某农业有限公司",
        "注册资本": 500.00,
    },
    {
        "统一社会信用代码": "91620722MA73EFGH2Y",
        "名称": "民乐县某某商贸有限公司",
        "在业": True,
        "股东": [{"姓名": "张伟"}],
    },
]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_array_of_objects_with_nested_values_flattened(tmp_path: Path) -> None:
    text = (
        '[\n  {"编号": 1, "金额": 12.50, "标签": ["低保", "残疾"], "备注": null},\n'
        '\n  {"编号": 2, "地址": {"乡镇": "洪水镇"}, "在册": false}\n]\n'
    )
    connector = JsonConnector(write(tmp_path, "a.json", text))
    assert connector.columns() == ["编号", "金额", "标签", "备注", "地址", "在册"]
    assert list(connector.iter_records()) == [
        SourceRecord(
            2,
            {
                "编号": "1",
                "金额": "12.50",
                "标签": '["低保","残疾"]',
                "备注": None,
                "地址": None,
                "在册": None,
            },
        ),
        SourceRecord(
            4,
            {
                "编号": "2",
                "金额": None,
                "标签": None,
                "备注": None,
                "地址": '{"乡镇":"洪水镇"}',
                "在册": "false",
            },
        ),
    ]


def test_records_under_a_nested_key(tmp_path: Path) -> None:
    document = {
        "code": 0,
        "meta": {"items": ["not these"]},
        "data": {"total": 2, "items": ENTERPRISES},
    }
    path = write(tmp_path, "wrapped.json", json.dumps(document, ensure_ascii=False, indent=2))
    records = list(JsonConnector(path, records_path="data.items").iter_records())
    assert [r.values["统一社会信用代码"] for r in records] == [
        "91620722MA73ABCD1X",
        "91620722MA73EFGH2Y",
    ]
    assert records[0].values["注册资本"] == "500.0"
    assert records[1].values["股东"] == '[{"姓名":"张伟"}]'
    assert records[1].values["在业"] == "true"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [lines[r.row - 1].strip() for r in records] == ["{", "{"]


def test_missing_records_path_key(tmp_path: Path) -> None:
    path = write(tmp_path, "w.json", '{"data": {"rows": []}}')
    with pytest.raises(ConnectorError) as caught:
        JsonConnector(path, records_path="data.items").columns()
    assert (caught.value.code, caught.value.field) == ("bad_json", "items")


def test_top_level_object_without_records_path_asks_for_one(tmp_path: Path) -> None:
    path = write(tmp_path, "o.json", '{\n  "data": []\n}\n')
    with pytest.raises(ConnectorError) as caught:
        JsonConnector(path).columns()
    assert caught.value.code == "bad_json"
    assert "records_path" in caught.value.message_zh


def test_json_lines_numbered_by_line(tmp_path: Path) -> None:
    people = fake_people(3, seed=11)
    text = (
        "\n".join(json.dumps(p, ensure_ascii=False) for p in people[:2])
        + "\n\n"
        + json.dumps(people[2], ensure_ascii=False)
        + "\n"
    )
    for name in ("people.jsonl", "people.json"):  # by suffix, and detected from the first line
        records = list(JsonConnector(write(tmp_path, name, text)).iter_records())
        assert records == [
            SourceRecord(1, people[0]),
            SourceRecord(2, people[1]),
            SourceRecord(4, people[2]),
        ]


def test_broken_json_line(tmp_path: Path) -> None:
    path = write(tmp_path, "b.jsonl", '{"a": 1}\n{"a": 2,}\n')
    with pytest.raises(ConnectorError) as caught:
        list(JsonConnector(path).iter_records())
    assert (caught.value.code, caught.value.row) == ("bad_json", 2)


def test_syntax_error_inside_an_array_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.json", '[\n {"a": 1},\n {"a": 2},\n {"a": 3\n]\n')
    with pytest.raises(ConnectorError) as caught:
        list(JsonConnector(path).iter_records())
    assert (caught.value.code, caught.value.row) == ("bad_json", 5)


def test_missing_comma_between_records(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '[\n {"a": 1}\n {"a": 2}\n]')
    with pytest.raises(ConnectorError) as caught:
        list(JsonConnector(path).iter_records())
    assert (caught.value.code, caught.value.row) == ("bad_json", 3)


def test_item_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "n.json", '[{"a": "x"},\n 7,\n {"a": "y"}]')
    with pytest.raises(ConnectorError) as caught:
        list(JsonConnector(path).iter_records())
    assert (caught.value.code, caught.value.row) == ("bad_record", 2)
    kept = list(JsonConnector(path, row_errors="record").iter_records())
    assert [(r.row, r.values, r.error is not None) for r in kept] == [
        (1, {"a": "x"}, False),
        (2, {"a": None}, True),
        (3, {"a": "y"}, False),
    ]


def test_gbk_json_file(tmp_path: Path) -> None:
    path = write(tmp_path, "g.json", '[{"姓名": "张伟", "乡镇": "洪水镇"}]', encoding="gbk")
    assert [r.values for r in JsonConnector(path).iter_records()] == [
        {"姓名": "张伟", "乡镇": "洪水镇"}
    ]


def test_document_over_the_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.json", json.dumps([{"a": "x" * 100}] * 100))
    with pytest.raises(ConnectorError) as caught:
        JsonConnector(path, max_bytes=1000).columns()
    assert caught.value.code == "too_large"


def test_open_source_builds_each_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", '[{"a": 1}]')
    assert isinstance(open_source("csv", path=path), CsvConnector)
    assert isinstance(open_source("xlsx", path=path), XlsxConnector)
    assert isinstance(open_source("http", url="https://example.com/a.json"), HttpJsonConnector)
    with pytest.raises(ConnectorError) as refused:  # databases only as registered sources
        open_source("sql", url=f"sqlite:///{tmp_path / 'x.db'}", table="t")
    assert refused.value.code == "unsupported_format"
    connector = open_source("json", path=path)
    assert [r.values for r in connector.iter_records()] == [{"a": "1"}]
    # Checked by mypy: every connector satisfies the Connector protocol.
    every: list[Connector] = [
        CsvConnector(path),
        XlsxConnector(path),
        JsonConnector(path),
        HttpJsonConnector("https://example.com/"),
        SqlConnector(sa.create_engine("sqlite://"), table="t"),
    ]
    assert len(every) == 5
    with pytest.raises(ConnectorError) as caught:
        open_source("xls", path=path)
    assert caught.value.code == "unsupported_format"
