"""Limits of the upload path (security review, storage and memory abuse): the body streams to
disk under a size cap, zip-based files are checked before parsing, a batch whose rows mostly
fail stops early, quarantine is bounded, and no raw upload stays behind in clear."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import MakeResource, person, person_id, write_csv, write_xlsx

from citybrain.analytics.hub import open_hub
from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings, get_settings
from citybrain.datahub.ingest import service
from citybrain.datahub.ingest.config import get_ingest_settings
from citybrain.datahub.ingest.models import IngestQuarantineRow

Limits = Callable[..., None]


def count(code: str) -> int:
    """Rows of ``code`` in the hub the app serves (the process settings')."""
    return open_hub(get_settings()).count(code)


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Limits]:
    """``limits(max_upload_mb=1, ...)`` sets ``CITYBRAIN_INGEST_*`` for this test only."""

    def set_limits(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"CITYBRAIN_INGEST_{name.upper()}", str(value))
        get_ingest_settings.cache_clear()

    yield set_limits
    monkeypatch.undo()
    get_ingest_settings.cache_clear()


def _upload(client: TestClient, code: str, headers: dict[str, str], name: str, data: bytes) -> Any:
    return client.post(
        f"/api/v1/ingest/resources/{code}/batches",
        files={"file": (name, data, "application/octet-stream")},
        headers=headers,
    )


def _leftovers(settings: Settings) -> list[Path]:
    folder = service.upload_folder(settings)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _denial_codes(session: Session) -> list[str]:
    query = select(AuditRecord.detail).where(AuditRecord.action == "security.denied")
    return [json.loads(d)["code"] for d in session.execute(query).scalars()]


def test_an_upload_over_the_cap_is_refused_with_413_and_leaves_no_file(
    client: TestClient,
    login: Any,
    make_resource: MakeResource,
    limits: Limits,
    settings: Settings,
    session: Session,
) -> None:
    limits(max_upload_mb=1)
    code, headers = make_resource(), login("analyst")
    before = _leftovers(settings)

    answer = _upload(client, code, headers, "big.csv", b"x" * (2 * 1024 * 1024 + 10))

    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "upload_too_large"
    assert "MB" in answer.json()["message"]
    assert "上限" in answer.json()["message"]
    assert _leftovers(settings) == before
    assert "upload_too_large" in _denial_codes(session)


def test_the_cap_holds_while_streaming_when_no_length_is_announced(
    client: TestClient, login: Any, make_resource: MakeResource, limits: Limits, settings: Settings
) -> None:
    """Chunked transfer (no Content-Length): the receiver counts the bytes as they arrive."""
    limits(max_upload_mb=1)
    code, headers = make_resource(), login("analyst")
    before = _leftovers(settings)
    boundary = "citybrainboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(40):  # 40 x 64 KiB = 2.5 MiB of file, in pieces
            sent.append(1)
            yield b"y" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = client.post(
        f"/api/v1/ingest/resources/{code}/batches",
        content=body(),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "upload_too_large"
    assert _leftovers(settings) == before


def test_a_small_upload_is_stored_in_pieces_and_queued(
    tmp_path: Path, client: TestClient, login: Any, make_resource: MakeResource
) -> None:
    code, headers = make_resource(), login("analyst")
    data = write_csv(tmp_path / "ok.csv", [person(1), person(2)]).read_bytes()
    answer = client.post(
        f"/api/v1/ingest/resources/{code}/batches",
        files={"file": ("人口.csv", data, "text/csv")},
        data={"mapping": "{}"},
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["source_name"] == "人口.csv"


def _bomb(path: Path, megabytes: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (megabytes * 1024 * 1024))
    return path


def test_an_xlsx_that_inflates_too_far_is_refused_before_parsing(
    tmp_path: Path,
    client: TestClient,
    login: Any,
    make_resource: MakeResource,
    settings: Settings,
    session: Session,
) -> None:
    code, headers = make_resource(), login("analyst")
    before = _leftovers(settings)
    bomb = _bomb(tmp_path / "bomb.xlsx", 20)
    assert bomb.stat().st_size < 100_000  # 20 MB of zeros deflate ~1000-fold

    answer = _upload(client, code, headers, "人口.xlsx", bomb.read_bytes())

    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "zip_bomb"
    assert "压缩炸弹" in answer.json()["message"]
    assert _leftovers(settings) == before
    assert "zip_bomb" in _denial_codes(session)


def test_an_xlsx_inflating_past_the_total_budget_is_refused(
    tmp_path: Path, client: TestClient, login: Any, make_resource: MakeResource, limits: Limits
) -> None:
    limits(max_uncompressed_mb=1, max_compression_ratio=100_000)
    code, headers = make_resource(), login("analyst")
    answer = _upload(client, code, headers, "a.xlsx", _bomb(tmp_path / "a.xlsx", 3).read_bytes())
    assert answer.status_code == 413
    assert answer.json()["code"] == "archive_too_large"


def test_an_xlsx_with_too_many_rows_is_refused_by_a_cheap_count(
    tmp_path: Path, client: TestClient, login: Any, make_resource: MakeResource, limits: Limits
) -> None:
    limits(max_rows=50)
    code, headers = make_resource(), login("analyst")
    grid = [["姓名", "公民身份号码"]] + [[f"测试{n}", person_id(n)] for n in range(60)]
    many = write_xlsx(tmp_path / "many.xlsx", grid).read_bytes()
    few = write_xlsx(tmp_path / "few.xlsx", grid[:40]).read_bytes()

    refused = _upload(client, code, headers, "many.xlsx", many)
    accepted = _upload(client, code, headers, "few.xlsx", few)

    assert refused.status_code == 413, refused.text
    assert refused.json()["code"] == "too_many_rows"
    assert "50" in refused.json()["message"]
    assert accepted.status_code == 202, accepted.text


def test_a_batch_of_mostly_failing_rows_stops_early_and_says_so(
    tmp_path: Path,
    client: TestClient,
    login: Any,
    make_resource: MakeResource,
    limits: Limits,
    session: Session,
) -> None:
    """The review's 2,000,000 identical rows, scaled down: 2,000 identical bad rows with the
    limit at half the rows after 100 rows."""
    limits(max_fail_share=0.5, min_rows_for_fail_share=100, max_quarantine_rows=10)
    code, headers = make_resource(), login("analyst")
    rows = [person(1, 公民身份号码="123")] * 2000
    data = write_csv(tmp_path / "bad.csv", rows).read_bytes()

    batch_id = _upload(client, code, headers, "bad.csv", data).json()["id"]

    detail = client.get(f"/api/v1/ingest/batches/{batch_id}", headers=headers).json()
    assert detail["status"] == "rejected", detail
    assert detail["error_code"] == "too_many_failures"
    assert "提前停止" in detail["error_message"]
    assert "50%" in detail["error_message"]
    assert detail["error_row"] == 101  # the 100th data row, under its header
    assert detail["row_count"] == 100
    assert detail["report"] is not None
    assert detail["report"]["rules"][0]["rule"] == "id_number.resident_id"
    stored = session.execute(
        select(func.count()).where(IngestQuarantineRow.batch_id == batch_id)
    ).scalar_one()
    assert stored == 0  # a rejected batch keeps no rows
    assert count(code) == 0


def test_quarantine_keeps_a_bounded_number_of_rows_and_counts_the_rest(
    tmp_path: Path,
    client: TestClient,
    login: Any,
    make_resource: MakeResource,
    limits: Limits,
    session: Session,
) -> None:
    limits(max_quarantine_rows=10)
    code, headers = make_resource(), login("analyst")
    rows = [person(n) for n in range(1, 71)] + [
        person(n, 公民身份号码="123") for n in range(71, 101)
    ]
    data = write_csv(tmp_path / "mixed.csv", rows).read_bytes()

    batch_id = _upload(client, code, headers, "mixed.csv", data).json()["id"]

    detail = client.get(f"/api/v1/ingest/batches/{batch_id}", headers=headers).json()
    assert detail["status"] == "loaded", detail
    assert (detail["quarantined_rows"], detail["quarantine_omitted_rows"]) == (30, 20)
    stored = session.execute(
        select(func.count()).where(IngestQuarantineRow.batch_id == batch_id)
    ).scalar_one()
    assert stored == 10
    assert count(code) == 70


def test_no_plaintext_upload_remains_under_the_home_after_loading(
    tmp_path: Path,
    client: TestClient,
    login: Any,
    make_resource: MakeResource,
    settings: Settings,
) -> None:
    code, headers = make_resource(), login("analyst")
    marker = person_id(987, region="620721")  # an ID number no other test uses
    data = write_csv(tmp_path / "p.csv", [person(987, 公民身份号码=marker)]).read_bytes()

    batch_id = _upload(client, code, headers, "p.csv", data).json()["id"]

    detail = client.get(f"/api/v1/ingest/batches/{batch_id}", headers=headers).json()
    assert detail["status"] == "loaded", detail
    needle = marker.encode()
    holding = [p for p in settings.home.rglob("*") if p.is_file() and needle in p.read_bytes()]
    assert holding == []
    assert not any(p.suffix == ".csv" for p in _leftovers(settings))


def test_a_rejected_upload_is_deleted_too(
    client: TestClient, login: Any, make_resource: MakeResource, settings: Settings
) -> None:
    code, headers = make_resource(), login("analyst")
    before = _leftovers(settings)
    batch_id = _upload(client, code, headers, "bad.csv", "姓名,公民身份号码\n张三\n".encode())
    assert batch_id.status_code == 202
    detail = client.get(f"/api/v1/ingest/batches/{batch_id.json()['id']}", headers=headers)
    assert detail.json()["status"] == "rejected"
    assert _leftovers(settings) == before


def test_the_receiver_never_reads_the_body_for_an_unauthorised_caller(
    client: TestClient, login: Any, make_resource: MakeResource, settings: Settings
) -> None:
    code = make_resource()
    before = _leftovers(settings)
    viewer = login("viewer")
    answer = _upload(client, code, viewer, "a.csv", io.BytesIO(b"x" * 1000).read())
    assert answer.status_code == 403
    assert _leftovers(settings) == before
