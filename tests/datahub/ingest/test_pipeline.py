"""The ingest pipeline on real files: encodings, XLSX layouts, mapping, idempotence, versions,
atomicity, and bad input that must be refused with its row and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import HEADER, Ingest, MakeResource, person, write_csv, write_xlsx

from citybrain.analytics.hub import DuckHubStore, HubStore, duck, pg, table_name
from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.core.crypto import sm3_hex
from citybrain.core.errors import BadInput, NotFound
from citybrain.datahub.ingest.errors import BatchFailed, BatchRejected
from citybrain.datahub.ingest.models import IngestBatch, IngestQuarantineRow
from citybrain.datahub.ingest.pipeline import field_context
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.ingest.schemas import BatchStatus


def _rows(hub: HubStore, code: str, columns: str = "*") -> list[tuple[Any, ...]]:
    return hub.query(f"SELECT {columns} FROM {table_name(code)} ORDER BY _key")


def test_gbk_csv_is_loaded_with_sensitive_items_encrypted(
    tmp_path: Path,
    session: Session,
    hub: HubStore,
    settings: Settings,
    make_resource: MakeResource,
    ingest: Ingest,
) -> None:
    code = make_resource()
    path = write_csv(tmp_path / "人口.csv", [person(n) for n in range(1, 6)], encoding="gbk")

    result = ingest(resource_code=code, path=path)

    assert result.status is BatchStatus.loaded
    assert (result.row_count, result.inserted_rows, result.quarantined_rows) == (5, 5, 0)
    assert result.score == 100.0
    assert result.checksum == sm3_hex(path.read_bytes())
    assert hub.count(code) == 5
    cipher = field_cipher(settings)
    for name, token, index, phone, born in _rows(
        hub, code, "name, id_number, id_number__bidx, phone, birth_date"
    ):
        n = int(name.removeprefix("测试"))
        plain = person(n)["公民身份号码"]
        assert plain not in token  # the hub never holds the ID number in the clear
        assert cipher.decrypt(token, context=field_context(code, "id_number")) == plain
        assert index == cipher.blind_index(plain)
        assert cipher.decrypt(phone, context=field_context(code, "phone")) == f"139{n:08d}"
        assert born == dt.date(1985, 3, 7)
    batch = session.get(IngestBatch, result.batch_id)
    assert batch is not None
    assert batch.status == "loaded"
    assert batch.row_count == 5
    actions = session.execute(
        select(AuditRecord.action).where(AuditRecord.object_id == str(result.batch_id))
    ).scalars()
    assert "ingest.batch.load" in list(actions)


def test_utf8_bom_csv_maps_by_explicit_mapping_and_reports_unknown_columns(
    tmp_path: Path, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    header = ["证件号码" if h == "公民身份号码" else h for h in HEADER] + ["备注"]
    rows = [{**person(n), "证件号码": person(n)["公民身份号码"], "备注": "x"} for n in (1, 2)]
    path = write_csv(tmp_path / "bom.csv", rows, header=header, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    result = ingest(resource_code=code, path=path, mapping={"证件号码": "id_number"})

    assert result.inserted_rows == 2
    assert result.unknown_columns == ["备注"]
    assert "备注" not in {c for (c,) in hub.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
        [table_name(code)],
    )}  # fmt: skip


def test_xlsx_with_title_row_and_two_level_merged_header(
    tmp_path: Path, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    p1, p2 = person(1), person(2)
    grid = [
        ["民乐县户籍人口名册（2024年）", None, None, None, None, None, None, None],
        ["姓名", "公民身份号码", "性别", "出生日期", "联系方式", None, "行政区划代码", "更新日期"],
        [None, None, None, None, "联系电话", "户籍地址", None, None],
        *[
            [p["姓名"], p["公民身份号码"], p["性别"], dt.datetime(1985, 3, 7), p["联系电话"],
             p["户籍地址"], p["行政区划代码"], dt.datetime(2024, 1, 1)]
            for p in (p1, p2)
        ],
    ]  # fmt: skip
    merges = ["A1:H1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2", "G2:G3", "H2:H3"]
    path = write_xlsx(tmp_path / "名册.xlsx", grid, merges)

    result = ingest(resource_code=code, path=path)

    assert (result.inserted_rows, result.quarantined_rows) == (2, 0), result
    assert result.unknown_columns == []
    rows = _rows(hub, code, "name, address, birth_date, _source_row")
    assert {(r[0], r[1], r[2], r[3]) for r in rows} == {
        ("测试1", p1["户籍地址"], dt.date(1985, 3, 7), 4),
        ("测试2", p2["户籍地址"], dt.date(1985, 3, 7), 5),
    }


def test_same_file_twice_is_a_duplicate_and_changes_nothing(
    tmp_path: Path, session: Session, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    path = write_csv(tmp_path / "a.csv", [person(n) for n in range(1, 4)])
    first = ingest(resource_code=code, path=path)
    before = _rows(hub, code)

    second = ingest(resource_code=code, path=path)

    assert second.status is BatchStatus.duplicate
    assert second.duplicate_of == first.batch_id
    assert second.loaded_rows == 0
    assert _rows(hub, code) == before
    batch = session.get(IngestBatch, second.batch_id)
    assert batch is not None
    assert batch.status == "duplicate"


def test_newer_version_wins_and_older_never_overwrites(
    tmp_path: Path, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    ingest(
        resource_code=code,
        path=write_csv(tmp_path / "v1.csv", [person(1, 姓名="甲一"), person(2, 姓名="乙一")]),
    )
    newer, older = person(1, updated="2024-03-01", 姓名="甲二"), person(2, updated="2023-12-01")
    second = ingest(resource_code=code, path=write_csv(tmp_path / "v2.csv", [newer, older]))

    assert (second.inserted_rows, second.updated_rows, second.skipped_rows) == (0, 1, 1)
    names = {r[0]: (r[1], r[2]) for r in _rows(hub, code, "name, updated_on, _batch_id")}
    assert names["甲二"] == (dt.date(2024, 3, 1), second.batch_id)
    assert names["乙一"][0] == dt.date(2024, 1, 1)
    same = ingest(resource_code=code, path=write_csv(tmp_path / "v3.csv", [person(2, 姓名="乙三")]))
    assert (same.updated_rows, same.skipped_rows) == (0, 1)  # an equal version changes nothing
    assert "乙三" not in {r[0] for r in _rows(hub, code, "name")}
    assert "甲一" not in names
    assert len(names) == 2


def test_without_a_version_item_a_later_batch_replaces_an_earlier_one(
    tmp_path: Path, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource(version_item="")
    ingest(resource_code=code, path=write_csv(tmp_path / "a.csv", [person(1, 姓名="旧")]))
    result = ingest(resource_code=code, path=write_csv(tmp_path / "b.csv", [person(1, 姓名="新")]))

    assert result.updated_rows == 1
    assert [r[0] for r in _rows(hub, code, "name")] == ["新"]


def test_failure_mid_merge_leaves_previous_data_intact_and_queryable(
    tmp_path: Path,
    session: Session,
    hub: HubStore,
    make_resource: MakeResource,
    ingest: Ingest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = make_resource()
    ingest(resource_code=code, path=write_csv(tmp_path / "a.csv", [person(n) for n in (1, 2)]))
    before = _rows(hub, code)
    deleted: list[int] = []

    def crash(*args: Any) -> int:
        raise RuntimeError("disk full")  # ...and then the merge dies before inserting

    if isinstance(hub, DuckHubStore):
        real_delete = duck._delete_superseded

        def delete_then_remember(*args: Any) -> int:
            deleted.append(real_delete(*args))  # the superseded rows are gone inside the merge...
            return deleted[-1]

        monkeypatch.setattr(duck, "_delete_superseded", delete_then_remember)
        monkeypatch.setattr(duck, "_insert_staged", crash)
    else:  # PostgreSQL: the load time is taken for the insert, after the delete
        monkeypatch.setattr(pg, "now", crash)
    rows = [person(1, updated="2024-05-01", 姓名="改"), person(2, updated="2024-05-01"), person(3)]

    with pytest.raises(BatchFailed) as failed:
        ingest(resource_code=code, path=write_csv(tmp_path / "b.csv", rows))

    assert deleted == ([2] if isinstance(hub, DuckHubStore) else [])
    assert _rows(hub, code) == before
    assert hub.count(code) == 2
    batch = session.get(IngestBatch, failed.value.batch_id)
    assert batch is not None
    assert batch.status == "failed"
    assert "disk full" in batch.error_message
    assert hub.query(
        f"SELECT count(*) FROM {table_name(code)} WHERE _batch_id = ?",
        [failed.value.batch_id],
    ) == [(0,)]


def test_ragged_csv_is_rejected_naming_the_line_and_nothing_is_loaded(
    tmp_path: Path, session: Session, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    path = write_csv(tmp_path / "ragged.csv", [person(n) for n in range(1, 6)])
    lines = path.read_text("utf-8").splitlines()
    lines[3] = ",".join(lines[3].split(",")[:5])  # the 4th line loses its last three fields
    path.write_text("\n".join(lines) + "\n", "utf-8")

    with pytest.raises(BatchRejected) as rejected:
        ingest(resource_code=code, path=path)

    assert rejected.value.code == "ragged_row"
    assert rejected.value.detail["row"] == 4
    assert rejected.value.detail["field"] == "行政区划代码"
    assert "第 4 行" in rejected.value.message
    assert hub.count(code) == 0
    batch = session.get(IngestBatch, rejected.value.batch_id)
    assert batch is not None
    assert (batch.status, batch.error_code, batch.error_row) == ("rejected", "ragged_row", 4)


def test_bytes_of_another_encoding_are_rejected_with_their_line(
    tmp_path: Path, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    path = write_csv(tmp_path / "mixed.csv", [person(n) for n in range(1, 1200)])
    with path.open("ab") as handle:  # past the 64 KiB that decided the encoding: GBK bytes
        handle.write(",".join(person(1200).values()).encode("gbk") + b"\n")

    with pytest.raises(BatchRejected) as rejected:
        ingest(resource_code=code, path=path)

    assert rejected.value.code == "bad_encoding"
    assert rejected.value.detail["row"] == 1201
    assert hub.count(code) == 0


def test_missing_required_column_is_named(
    tmp_path: Path, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    header = [h for h in HEADER if h != "公民身份号码"]
    path = write_csv(tmp_path / "nokey.csv", [person(1)], header=header)

    with pytest.raises(BatchRejected) as rejected:
        ingest(resource_code=code, path=path)

    assert rejected.value.code == "missing_column"
    assert "公民身份号码" in rejected.value.message
    assert rejected.value.detail["field"] == "公民身份号码"


def test_xlsx_column_without_header_is_rejected_with_its_letter(
    tmp_path: Path, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    p = person(1)
    grid = [
        ["姓名", "公民身份号码", None, "更新日期"],
        [p["姓名"], p["公民身份号码"], "男", "2024-01-01"],
    ]
    path = write_xlsx(tmp_path / "noheader.xlsx", grid)

    with pytest.raises(BatchRejected) as rejected:
        ingest(resource_code=code, path=path)

    assert rejected.value.code == "missing_header"
    assert rejected.value.detail["field"] == "C"


def test_values_of_the_wrong_type_are_quarantined_not_loaded(
    tmp_path: Path, session: Session, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    rows = [
        person(1),
        person(2, 出生日期="1985-02-30"),
        person(3, 公民身份号码="620722198503070039"),
        person(4, 联系电话="12345"),
        person(5, 行政区划代码="999999"),
        person(1, 姓名="重复"),
    ]
    result = ingest(resource_code=code, path=write_csv(tmp_path / "bad.csv", rows))

    assert (result.row_count, result.inserted_rows, result.quarantined_rows) == (6, 1, 5)
    assert result.score == round(1 / 6 * 100, 2)
    assert result.order_id is not None
    quarantined = session.execute(
        select(IngestQuarantineRow).where(IngestQuarantineRow.batch_id == result.batch_id)
    ).scalars()
    reasons = {q.source_row: q.problems for q in quarantined}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "bad_date" in reasons[3]
    assert "bad_checksum" in reasons[4]
    assert "bad_length" in reasons[5]
    assert "unknown_region" in reasons[6]
    assert "duplicate_key" in reasons[7]
    tokens = session.execute(select(IngestQuarantineRow.values_token)).scalars()
    assert all("620722198503070039" not in t for t in tokens)  # raw rows are encrypted


def test_unknown_resource_and_unsupported_files_are_refused_before_any_batch(
    tmp_path: Path, session: Session, make_resource: MakeResource, ingest: Ingest
) -> None:
    path = write_csv(tmp_path / "a.csv", [person(1)])
    with pytest.raises(NotFound) as missing:
        ingest(resource_code="620722-GA-999999", path=path)
    assert missing.value.code == "resource_not_found"
    code = make_resource()
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BadInput) as unsupported:
        ingest(resource_code=code, path=legacy)
    assert unsupported.value.code == "unsupported_format"
    assert ".xlsx" in unsupported.value.message
    assert session.execute(select(IngestBatch)).first() is None
