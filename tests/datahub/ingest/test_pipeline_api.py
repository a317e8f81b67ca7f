"""Ingestion over HTTP: upload, background run, batch detail with report and progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import MakeResource, person, write_csv

from citybrain.analytics.hub import open_hub
from citybrain.core.config import get_settings


def count(code: str) -> int:
    """Rows of ``code`` in the hub the app serves (the process settings')."""
    return open_hub(get_settings()).count(code)


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def test_upload_runs_in_the_background_and_reports_quality(
    tmp_path: Path, api: TestClient, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    headers = login("analyst")
    rows = [person(1), person(2), person(3, 公民身份号码="123")]
    path = write_csv(tmp_path / "upload.csv", rows, encoding="gbk")

    response = api.post(
        f"/api/v1/ingest/resources/{code}/batches",
        files={"file": ("人口.csv", path.read_bytes(), "text/csv")},
        headers=headers,
    )

    assert response.status_code == 202, response.text
    batch_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    detail = api.get(f"/api/v1/ingest/batches/{batch_id}", headers=headers).json()
    assert detail["status"] == "loaded", detail
    assert (detail["inserted_rows"], detail["quarantined_rows"]) == (2, 1)
    report = detail["report"]
    assert report["score"] == pytest.approx(66.67)
    assert report["rules"][0]["rule"] == "id_number.resident_id"
    assert report["rules"][0]["examples"][0] == {
        "row": 4, "value": "***", "reason": "bad_length", "message": "长度不正确",
    }  # fmt: skip
    progress = api.get(f"/api/v1/ingest/batches/{batch_id}/progress", headers=headers).json()
    assert progress == {"done": 3, "total": 3, "finished": True}
    page = api.get("/api/v1/ingest/batches", params={"resource_code": code}, headers=headers)
    assert [b["id"] for b in page.json()["items"]] == [batch_id]
    assert count(code) == 2


def test_upload_of_a_rejected_file_keeps_the_batch_with_its_error(
    tmp_path: Path, api: TestClient, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    headers = login("analyst")
    data = "姓名,公民身份号码\n张三\n".encode()

    batch_id = api.post(
        f"/api/v1/ingest/resources/{code}/batches",
        files={"file": ("bad.csv", data, "text/csv")},
        headers=headers,
    ).json()["id"]

    detail = api.get(f"/api/v1/ingest/batches/{batch_id}", headers=headers).json()
    assert detail["status"] == "rejected"
    assert detail["error_code"] in {"missing_column", "ragged_row"}


def test_upload_needs_ingest_permission_and_a_known_resource(
    api: TestClient, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    files = {"file": ("a.csv", b"x\n1\n", "text/csv")}
    viewer = api.post(
        f"/api/v1/ingest/resources/{code}/batches", files=files, headers=login("viewer")
    )
    assert viewer.status_code == 403
    missing = api.post(
        "/api/v1/ingest/resources/620722-GA-999999/batches", files=files, headers=login("analyst")
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "resource_not_found"
