"""The bulk path of a CSV file gives the per-row pipeline's batch, row for row.

Each file is ingested twice through the real service, once per path, into two resources of
the same items and rules; everything the batch leaves behind is compared: the result, the
quality report, the quarantined rows (decrypted) with their problems, the rectification order
and the hub rows (decrypted)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import HEADER, MakeResource, person, write_csv

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.core.scope import Scope
from citybrain.datahub.demo import files
from citybrain.datahub.demo.catalog import RESOURCES
from citybrain.datahub.demo.enterprises import generate_enterprises
from citybrain.datahub.demo.people import generate_people
from citybrain.datahub.ingest import bulk, runner, service
from citybrain.datahub.ingest.config import IngestSettings
from citybrain.datahub.ingest.errors import BatchRejected
from citybrain.datahub.ingest.models import IngestBatch, IngestQuarantineRow
from citybrain.datahub.ingest.pipeline import (
    BIDX_SUFFIX,
    TooManyFailures,
    decrypt_quarantined,
    field_context,
)
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.quality import queries
from citybrain.datahub.quality import service as quality_service
from citybrain.datahub.quality.rules import RuleKind
from citybrain.datahub.quality.schemas import RuleWrite
from citybrain.datahub.rectification import queries as rectification_queries
from hub_testing import fresh_store


@dataclass
class Run:
    code: str
    result: dict[str, Any]
    report: dict[str, Any] | None
    quarantine: list[tuple[int, dict[str, str | None], list[dict[str, str]]]]
    order: tuple[int, int, str] | None
    hub: list[tuple[Any, ...]]


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``paths(bulk=..., **settings)``: the ingest settings the runner sees; counts the
    batches read in bulk in ``paths.bulk_runs``."""
    runs: list[int] = []
    real = bulk.run_bulk

    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            outcome = real(*args, **kwargs)
        except TooManyFailures:
            runs.append(-1)
            raise
        runs.append(outcome.total)
        return outcome

    monkeypatch.setattr(runner, "run_bulk", counted)

    def use(**values: Any) -> None:
        chosen = IngestSettings(**{"crypto_workers": 0, **values})
        monkeypatch.setattr(runner, "get_ingest_settings", lambda: chosen)

    use.bulk_runs = runs  # type: ignore[attr-defined]
    return use


def _hub_rows(hub: HubStore, code: str, settings: Settings) -> list[tuple[Any, ...]]:
    cipher = field_cipher(settings)
    names = [n for n in hub.columns(code) if n not in ("_batch_id", "_loaded_at")]
    rows = hub.read_rows(code, names)
    sensitive = {n for n in names if f"{n}{BIDX_SUFFIX}" in names}
    out = []
    for row in rows:
        values = []
        for name, value in zip(names, row, strict=True):
            if name in sensitive and value is not None:
                value = cipher.decrypt(value, context=field_context(code, name))
            values.append(value)
        out.append(tuple(values))
    return sorted(out, key=repr)


def _run(session: Session, hub: HubStore, settings: Settings, code: str, path: Path) -> Run:
    try:
        result = service.ingest_file(session, resource_code=code, path=path, store=hub)
        outcome = {k: getattr(result, k) for k in (
            "status", "row_count", "inserted_rows", "updated_rows", "skipped_rows",
            "quarantined_rows", "score", "unknown_columns")}  # fmt: skip
        batch_id = result.batch_id
    except BatchRejected as exc:
        detail = {k: v for k, v in exc.detail.items() if k != "batch_id"}
        outcome = {"rejected": exc.code, "message": exc.message, "detail": detail}
        batch_id = exc.batch_id
    batch = session.get(IngestBatch, batch_id)
    assert batch is not None
    outcome["omitted"] = batch.quarantine_omitted_rows
    report = queries.report_of_batch(session, batch_id)
    cipher = field_cipher(settings)
    quarantine = [
        (q.source_row, decrypt_quarantined(cipher, q.values_token), json.loads(q.problems))
        for q in session.execute(
            select(IngestQuarantineRow)
            .where(IngestQuarantineRow.batch_id == batch_id)
            .order_by(IngestQuarantineRow.source_row)
        ).scalars()
    ]
    order = rectification_queries.order_of_batch(session, batch_id)
    return Run(
        code,
        outcome,
        report.model_dump(include={"total_rows", "passed_rows", "failed_rows", "score",
                                   "rules", "fields", "unknown_columns"}) if report else None,
        quarantine,
        (order.failed_rows, order.remaining_rows, order.status) if order else None,
        _hub_rows(hub, code, settings) if hub.table_exists(code) else [],
    )  # fmt: skip


Compare = Callable[..., tuple[Run, Run]]


@pytest.fixture
def both(
    session: Session,
    settings: Settings,
    make_resource: MakeResource,
    tmp_path: Path,
    paths: Callable[..., None],
) -> Compare:
    """``both(path, **resource)``: the file through the bulk path and through the per-row
    pipeline, each into a fresh resource of the same items and rules; asserts they agree."""

    def compare(
        path: Path, *, rules: list[RuleWrite] = (), expect_bulk: bool = True, **resource: Any
    ) -> tuple[Run, Run]:
        runs = []
        for use_bulk in (True, False):
            code = make_resource(**resource)
            if rules:
                quality_service.set_rules(
                    session, resource_code=code, rules=list(rules), scope=Scope.system()
                )
            paths(bulk=use_bulk, **settings_overrides)
            before = len(paths.bulk_runs)  # type: ignore[attr-defined]
            hub = fresh_store(tmp_path / code)
            runs.append(_run(session, hub, settings, code, path))
            used = len(paths.bulk_runs) > before  # type: ignore[attr-defined]
            assert used == (use_bulk and expect_bulk), (path.name, use_bulk)
        quick, slow = runs
        assert quick.result == slow.result
        assert quick.report == slow.report
        assert quick.quarantine == slow.quarantine
        assert quick.order == slow.order
        assert quick.hub == slow.hub
        return quick, slow

    settings_overrides: dict[str, Any] = {}
    compare.settings = settings_overrides  # type: ignore[attr-defined]
    return compare


def _items(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": name, "title": title, "type": type_, "length": length,
         "sensitivity": sensitivity, "mask": mask}
        for name, title, type_, length, sensitivity, mask, _note in entry["items"]
    ]  # fmt: skip


def _demo_files(folder: Path, data_dir: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    people = generate_people(300, seed=7, data_dir=data_dir)
    firms = generate_enterprises(120, seed=7, legal_rep_names=people.legal_rep_names,
                                 towns=["620722104"])  # fmt: skip
    rows = {**people.rows, "SJ-001": firms.rows}
    encodings = {"GA-001": "gbk", "MZ-002": "utf-8-sig", "SJ-001": "gb18030"}
    for entry in RESOURCES:
        serial = f"{entry['dept']}-{entry['serial']}"
        if rows.get(serial):
            path = folder / f"{serial}.csv"
            yield (
                entry,
                files.write_csv(path, rows[serial], encoding=encodings.get(serial, "utf-8")),
            )


def test_the_demo_files_give_the_same_batches_both_ways(
    both: Compare, tmp_path: Path, data_dir: Path
) -> None:
    quarantined = []
    for entry, path in _demo_files(tmp_path, data_dir):
        quick, _ = both(
            path,
            items=_items(entry),
            key_item=entry.get("key_item", ""),
            version_item=entry.get("version_item", ""),
            name=entry["name"],
        )
        assert quick.result["row_count"] > 0
        quarantined.append(quick.result["quarantined_rows"])
    assert len(quarantined) >= 5
    assert sum(quarantined) > 0  # the demo's faults reached both paths


def _vectors(data_dir: Path, name: str, column: str) -> list[str]:
    with (data_dir / "checksums" / name).open(encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


VECTOR_ITEMS = [
    {"name": "name", "title": "姓名", "mask": "name", "length": 4},
    {"name": "id_number", "title": "公民身份号码", "mask": "id_number"},
    {"name": "phone", "title": "联系电话", "mask": "mobile"},
    {"name": "mobile", "title": "手机号码"},
    {"name": "uscc", "title": "统一社会信用代码"},
    {"name": "born", "title": "出生日期", "type": "date"},
    {"name": "town_code", "title": "所在行政区划代码"},
    {"name": "kind", "title": "类别"},
    {"name": "amount", "title": "金额", "type": "decimal"},
    {"name": "count", "title": "人数", "type": "integer"},
    {"name": "seen_at", "title": "登记时间", "type": "datetime"},
    {"name": "active", "title": "是否有效", "type": "boolean"},
]
VECTOR_RULES = [
    RuleWrite(item="kind", kind=RuleKind.enum, params={"values": ["甲", "乙"]}),
    RuleWrite(item="name", kind=RuleKind.length, params={"min": 2, "max": 4}),
    RuleWrite(item="amount", kind=RuleKind.range, params={"min": 0, "max": 1000}),
    RuleWrite(item="mobile", kind=RuleKind.required),
]
AWKWARD = {
    "phone": ["13800138000", "+86 138-0013-8000", "0086 13800138000", "8613800138000",
              "12800138000", "1380013800", "(0936)4412345", "0936-4412345", "0936-4412345转123",
              "0936-1412345", "４４１２３４５", "１３８００１３８０００", " 13800138000", ""],
    "born": ["2020-01-06", "2020/1/6", "2020年1月6日", "20200106", "2020-02-30", "２０２０-01-06",
             "0000-01-01", "6 Jan 2020", "", " 2020-01-06"],
    "amount": ["12.50", "1,000", "-0", "1e3", "abc", "1000.01", "０.5", "", "7"],
    "count": ["3", "+3", "003", "1_000", "x", "", "-0", "９"],
    "seen_at": ["2024-01-02 08:30:00", "2024-01-02T08:30", "2024-01-02 24:00:00", "2024/1/2 8:30",
                "", "2024-02-30 10:00:00"],
    "active": ["是", "否", "true", "0", "maybe", ""],
    "town_code": ["620722104", "620722", "110101", "62O722", "999999", "", " 620722"],
    "kind": ["甲", "丙", " 乙", "", "乙"],
    "name": ["张三", "王", "欧阳娜娜娜", " 李四 ", "", "\u3000赵六"],
}  # fmt: skip


def _vector_rows(data_dir: Path) -> list[dict[str, str]]:
    ids = [i for i in _vectors(data_dir, "cn_resident_id_test_vectors.csv", "number")]
    ids += ["", " ", "１１０１０２１９９１０１０１００７８", " 110102199101010078 ",
            "44011320141005001x", "441132141005001", "11010219910230007X",
            "810000199101010071"]  # fmt: skip
    usccs = _vectors(data_dir, "cn_uscc_test_vectors.csv", "code")
    n = max(len(ids), len(usccs)) * 2
    titles = {i["name"]: i["title"] for i in VECTOR_ITEMS}
    rows = []
    for k in range(n):
        row = {titles["id_number"]: ids[k % len(ids)], titles["uscc"]: usccs[k % len(usccs)]}
        row[titles["mobile"]] = AWKWARD["phone"][(k * 7) % len(AWKWARD["phone"])]
        for name, values in AWKWARD.items():
            row[titles[name]] = values[(k * 3 + len(name)) % len(values)]
        rows.append(row)
    rows += rows[:5]  # repeated keys
    return rows


def test_the_id_and_credit_code_vectors_give_the_same_batch_both_ways(
    both: Compare, tmp_path: Path, data_dir: Path
) -> None:
    rows = _vector_rows(data_dir)
    header = [i["title"] for i in VECTOR_ITEMS]
    path = write_csv(tmp_path / "vectors.csv", rows, header=header)
    quick, _ = both(path, items=VECTOR_ITEMS, version_item="", rules=VECTOR_RULES)
    assert quick.result["quarantined_rows"] > 0
    assert quick.result["inserted_rows"] > 0
    kinds = {rule["kind"] for rule in (quick.report or {}).get("rules", [])}
    assert {"resident_id", "uscc", "phone", "type", "unique", "required"} <= kinds


def test_a_resource_without_key_or_version(both: Compare, tmp_path: Path) -> None:
    rows = [person(1), person(2), person(1), person(3, 公民身份号码="x")]
    path = write_csv(tmp_path / "plain.csv", rows)
    quick, _ = both(path, key_item="", version_item="")
    assert quick.result["inserted_rows"] == 2  # two equal rows are one record


def test_blank_lines_empty_cells_quotes_and_crlf(both: Compare, tmp_path: Path) -> None:
    ids = [person(n)["公民身份号码"] for n in range(5)]
    lines = [
        "姓名,公民身份号码,性别,出生日期,联系电话,行政区划代码,户籍地址,更新日期",
        f"测试1,{ids[1]},男,1985-03-07,13900000001,620722,\"甘肃省,洪水镇\",2024-01-01",
        "",
        ",,,,,,,",
        " , ,\u3000,,,,,",
        f"\"测试2\",{ids[2]},,1985-03-07,\"\",620722,\"他说\"\"好\"\"\",2024-01-01",
        f"测试3,{ids[3]},女,1985-3-7,13900000003,620722,x\"y,2024-01-01",
        f"测试4,{ids[4]},男, 1985-03-07, \"139 0000 0004\",620722,\"z\" ,2024-01-01",
    ]  # fmt: skip
    path = tmp_path / "blank.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    quick, _ = both(path)
    assert quick.result["row_count"] == 4


@pytest.mark.parametrize(
    "content",
    ["{header}\n", "{header}", "{header}\r\n\r\n\r\n", "{header}\n{row}", "{header}\n\n{row}\n\n"],
)
def test_edges_of_a_file_are_read_alike(both: Compare, tmp_path: Path, content: str) -> None:
    header = ",".join(HEADER)
    row = ",".join(person(6)[h] for h in HEADER)
    path = tmp_path / "edges.csv"
    path.write_bytes(content.format(header=header, row=row).encode("utf-8"))
    both(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("ragged.csv", "a,b\n1\n"),
        ("trailing-delimiter.csv", "{header}\n{row},\n"),
        ("quoted-newline.csv", "{header}\n{quoted_row}\n"),
        ("lone-cr.csv", "{header}\r{row}\r"),
        ("bad-byte.csv", "{header}\n{row}\n\udcff\n"),
    ],
)
def test_what_the_bulk_reader_cannot_promise_goes_row_by_row(
    both: Compare, tmp_path: Path, name: str, content: str
) -> None:
    header = "姓名,公民身份号码,性别,出生日期,联系电话,行政区划代码,户籍地址,更新日期"
    one = person(5)
    row = ",".join(one[h] for h in header.split(","))
    values = {
        "header": header,
        "row": row,
        "quoted_row": row.replace(one["户籍地址"], f'"{one["户籍地址"]}\n二组"'),
    }
    if name == "ragged.csv":
        content = f"{header}\n{row}\n测试9,1\n"
    path = tmp_path / name
    path.write_bytes(content.format(**values).encode("utf-8", "surrogateescape"))
    both(path, expect_bulk=False)


def test_the_early_stop_and_the_quarantine_cap_are_the_same(both: Compare, tmp_path: Path) -> None:
    rows = [person(n, 出生日期="1985-02-30" if n % 3 else "1985-03-07") for n in range(1, 60)]
    both.settings.update(min_rows_for_fail_share=20)  # type: ignore[attr-defined]
    quick, _ = both(write_csv(tmp_path / "stop.csv", rows))
    assert quick.result["rejected"] == "too_many_failures"
    assert quick.report is not None
    assert quick.report["total_rows"] == 20

    # Blank lines are no records: they count neither as checked nor as failed.
    text = write_csv(tmp_path / "bad.csv", [person(n, 出生日期="x") for n in range(1, 40)])
    lines = text.read_text("utf-8").splitlines()
    blank = tmp_path / "blank-stop.csv"
    blank.write_text("\n".join([lines[0], "", ",,,,,,,", "", *lines[1:]]) + "\n", "utf-8")
    quick, _ = both(blank)
    assert quick.result["detail"]["row"] == 24  # the 20th record

    rows = [person(n, 联系电话="123" if n % 4 == 0 else f"139{n:08d}") for n in range(1, 80)]
    both.settings.clear()
    both.settings.update(max_quarantine_rows=3)  # type: ignore[attr-defined]
    quick, _ = both(write_csv(tmp_path / "cap.csv", rows))
    assert (quick.result["quarantined_rows"], quick.result["omitted"]) == (19, 16)
    assert len(quick.quarantine) == 3


def test_chunks_go_through_worker_processes_alike(both: Compare, tmp_path: Path) -> None:
    rows = [person(n) for n in range(1, 260)] + [person(5, 姓名="重复")]
    both.settings.update(chunk_rows=100, crypto_workers=1)  # type: ignore[attr-defined]
    quick, _ = both(write_csv(tmp_path / "chunks.csv", rows))
    assert (quick.result["inserted_rows"], quick.result["quarantined_rows"]) == (259, 1)
