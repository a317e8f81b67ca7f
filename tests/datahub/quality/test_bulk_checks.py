"""The set-based checks in DuckDB give the per-row pipeline's answer, problem for problem, on the
demo department files, on the published ID-number and credit-code test vectors and on values
written the ways people write them (full-width digits, +86, brackets, 年月日, blanks)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from citybrain.core.crypto import CryptoProvider
from citybrain.datahub.demo.catalog import RESOURCES
from citybrain.datahub.demo.enterprises import generate_enterprises
from citybrain.datahub.demo.people import generate_people
from citybrain.datahub.ingest.connectors import SourceRecord
from citybrain.datahub.ingest.mapping import ColumnMapping
from citybrain.datahub.ingest.pipeline import QuarantineSpool, run_pipeline
from citybrain.datahub.quality.bulk import can_check_in_bulk, check_batch, failed_rows, stage_batch
from citybrain.datahub.quality.checks import CompiledRules, Lookups, compile_rules
from citybrain.datahub.quality.report import QualityTally
from citybrain.datahub.quality.rules import (
    ItemSpec,
    ResourceSpec,
    RuleKind,
    RuleSpec,
    effective_rules,
)

TODAY = date(2024, 6, 30)


def _spec(entry: dict[str, Any]) -> ResourceSpec:
    items = tuple(
        ItemSpec(name, title, type_, length, mask)
        for name, title, type_, length, _sensitivity, mask, _note in entry["items"]
    )
    return ResourceSpec(
        code=f"620722-{entry['dept']}-{entry['serial']}",
        name=entry["name"],
        department_code=f"620722-{entry['dept']}",
        region_code="620722",
        items=items,
        key_item=entry.get("key_item", ""),
        version_item=entry.get("version_item", ""),
    )


def _rules(resource: ResourceSpec, extra: list[RuleSpec] | None = None) -> CompiledRules:
    lookups = Lookups(lambda code: code.startswith("6207"), lambda _code: lambda _v: True)
    return compile_rules(resource, effective_rules(resource, extra or []), lookups)


class _ListSink:
    def __init__(self) -> None:
        self.columns: dict[str, list[str | None]] = {}

    def append(self, columns: Any) -> None:
        for name, values in columns.items():
            self.columns.setdefault(name, []).extend(values)


def _per_row(rules: CompiledRules, rows: list[dict[str, str | None]], mapping: dict[str, str]):
    """The pipeline's answer: ``{row: [(item, kind, reason), ...]}`` and the passing rows."""
    cipher = CryptoProvider(sm4_key=b"k" * 16, mac_key=b"b" * 32).field_cipher()
    spool, sink = QuarantineSpool(cipher), _ListSink()
    tally = QualityTally(titles={}, masks={})
    records = [SourceRecord(i + 1, row) for i, row in enumerate(rows)]
    run_pipeline(
        records,
        rules=rules,
        mapping=ColumnMapping(source_of=mapping, unknown_columns=[], unmapped_items=[]),
        cipher=cipher,
        sink=sink,
        spool=spool,
        tally=tally,
    )
    failed = {
        row: [(p["item"], p["rule"], p["reason"]) for p in json.loads(problems)]
        for row, _token, problems in spool
    }
    return failed, len(rows) - len(failed)


def _bulk(rules: CompiledRules, rows: list[dict[str, str | None]], mapping: dict[str, str]):
    con = duckdb.connect()
    columns = sorted({c for row in rows for c in row})
    table = pa.table({c: pa.array([row.get(c) for row in rows], pa.string()) for c in columns})
    shape = {"rules": rules, "mapping": mapping, "today": TODAY}
    stage_batch(con, table.to_batches(max_chunksize=7), table="staged", **shape)
    outcome = check_batch(con, source="staged", **shape)
    failed = {f.row: f.problems for f in failed_rows(con, outcome, rules)}
    assert outcome.total == len(rows)
    assert outcome.passed == len(rows) - len(failed)
    return failed, outcome.passed


def _as_text(rows: list[dict[str, Any]]) -> list[dict[str, str | None]]:
    return [{k: None if v is None else str(v) for k, v in row.items()} for row in rows]


def _demo_rows(data_dir: Path) -> dict[str, list[dict[str, str | None]]]:
    people = generate_people(400, seed=11, data_dir=data_dir)
    firms = generate_enterprises(
        150, seed=11, legal_rep_names=people.legal_rep_names, towns=["620722104"]
    )
    return {**{k: _as_text(v) for k, v in people.rows.items()}, "SJ-001": _as_text(firms.rows)}


@pytest.mark.parametrize("entry", RESOURCES[:-1], ids=lambda e: f"{e['dept']}-{e['serial']}")
def test_bulk_matches_the_pipeline_on_the_demo_files(entry, data_dir):
    rows = _demo_rows(data_dir).get(f"{entry['dept']}-{entry['serial']}")
    if not rows:
        pytest.skip("the demo has no file for this resource")
    resource = _spec(entry)
    keys = set(rows[0])
    mapping = {i.name: (i.title if i.title in keys else i.name) for i in resource.items}
    mapping = {k: v for k, v in mapping.items() if v in keys}
    rules = _rules(resource)
    expected, passed = _per_row(rules, rows, mapping)
    assert expected, "the demo files carry faults: the comparison must see some"
    assert _bulk(rules, rows, mapping) == (expected, passed)


def _vectors(data_dir: Path, name: str, column: str) -> list[str]:
    with (data_dir / "checksums" / name).open(encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


AWKWARD_IDS = [
    "", " ", "\u3000", "１１０１０２１９９１０１０１００７８", " 110102199101010078 ",
    "44011320141005001x", "441132141005001", "110102910101007", "11010219910230007X",
    "110102185901010071", "11010220990101007X", "810000199101010071", "820000199101010071",
    "811000199101010071", "911010219910101007", "971010219910101007", "000000199101010071",
    "1101021991010100", "11010219910101007Y", "abc", "110102 1991 0101 0078",
]  # fmt: skip
AWKWARD_PHONES = [
    "13800138000", "+86 138-0013-8000", "0086 13800138000", "8613800138000", "86138001380",
    "12800138000", "1380013800", "138001380001", "(0936)4412345", "0936-4412345",
    "0936 4412345", "010-88889999", "0936-4412345转123", "0936-4412345 ext. 12", "0936-1412345",
    "４４１２３４５", "１３８００１３８０００", "1a800138000", "--", "+8613800138000",
]  # fmt: skip
AWKWARD_DATES = ["2020-01-06", "2020/1/6", "2020.1.6", "2020年1月6日", "20200106", "2020-02-30",
                 "２０２０-01-06", "2020-13-01", "0000-01-01", "6 Jan 2020", ""]  # fmt: skip


def test_bulk_matches_the_pipeline_on_test_vectors_and_awkward_values(data_dir):
    ids = _vectors(data_dir, "cn_resident_id_test_vectors.csv", "number") + AWKWARD_IDS
    usccs = _vectors(data_dir, "cn_uscc_test_vectors.csv", "code")
    resource = ResourceSpec(
        "T-1", "测试", "D", "620722",
        (
            ItemSpec("name", "姓名", length=4, mask="name"),
            ItemSpec("id_number", "公民身份号码", mask="id_number"),
            ItemSpec("phone", "联系电话", mask="mobile"),
            ItemSpec("mobile", "手机号码"),
            ItemSpec("uscc", "统一社会信用代码"),
            ItemSpec("born", "出生日期", "date"),
            ItemSpec("town_code", "所在行政区划代码"),
            ItemSpec("kind", "类别"),
        ),
        key_item="id_number",
    )  # fmt: skip
    extra = [
        RuleSpec("kind", RuleKind.enum, {"values": ["甲", "乙"]}, origin="explicit"),
        RuleSpec("name", RuleKind.length, {"min": 2, "max": 4}, origin="explicit"),
    ]
    rules = _rules(resource, extra)
    n = max(len(ids), len(usccs), len(AWKWARD_PHONES)) * 3
    rows = [
        {
            "name": ["张三", "王", "欧阳娜娜娜", " 李四 ", None][i % 5],
            "id_number": ids[i % len(ids)],
            "phone": AWKWARD_PHONES[i % len(AWKWARD_PHONES)],
            "mobile": AWKWARD_PHONES[(i * 7) % len(AWKWARD_PHONES)],
            "uscc": usccs[i % len(usccs)],
            "born": AWKWARD_DATES[i % len(AWKWARD_DATES)],
            "town_code": ["620722104", "110101", "62O722", ""][i % 4],
            "kind": ["甲", "丙", " 乙", None][i % 4],
        }
        for i in range(n)
    ]
    mapping = {i.name: i.name for i in resource.items}
    expected, passed = _per_row(rules, rows, mapping)
    assert passed > 0
    assert _bulk(rules, rows, mapping) == (expected, passed)


def test_a_duplicate_key_is_the_second_passing_row_only():
    resource = ResourceSpec(
        "T-2", "测试", "D", "620722", (ItemSpec("code", "代码", length=3),), key_item="code"
    )
    rules = _rules(resource)
    rows = _as_text([{"code": c} for c in ["a", "toolong", "toolong", "a", "b", "a", None]])
    mapping = {"code": "code"}
    failed, passed = _bulk(rules, rows, mapping)
    assert passed == 2
    assert failed == {
        2: [("code", "length", "too_long")],
        3: [("code", "length", "too_long")],
        4: [("code", "unique", "duplicate_key")],
        6: [("code", "unique", "duplicate_key")],
        7: [("code", "required", "required")],
    }
    assert (failed, passed) == _per_row(rules, rows, mapping)


def test_two_unique_items_are_left_to_the_pipeline():
    items = (ItemSpec("a", "甲"), ItemSpec("b", "乙"))
    resource = ResourceSpec("T-3", "测试", "D", "620722", items, key_item="a")
    rules = _rules(resource, [RuleSpec("b", RuleKind.unique, origin="explicit")])
    assert not can_check_in_bulk(rules)
    assert can_check_in_bulk(_rules(resource))
    with pytest.raises(ValueError, match="can_check_in_bulk"):
        _bulk(rules, [{"a": "1", "b": "2"}], {"a": "a", "b": "b"})
