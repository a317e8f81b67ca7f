"""Quality over HTTP: rule sets, scores, orders, the failed-rows workbook and resubmission,
each behind its permission code."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from test_pipeline_fixtures import DEPARTMENT, MakeResource, person, person_id, write_csv


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def _upload(api: TestClient, code: str, path: Path, headers: dict[str, str]) -> dict[str, Any]:
    batch = api.post(
        f"/api/v1/ingest/resources/{code}/batches",
        files={"file": (path.name, path.read_bytes(), "text/csv")},
        headers=headers,
    ).json()
    detail: dict[str, Any] = api.get(
        f"/api/v1/ingest/batches/{batch['id']}", headers=headers
    ).json()
    return detail


def test_rules_can_be_read_and_replaced_by_quality_managers(
    api: TestClient, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    analyst = login("analyst")
    rules = api.get(f"/api/v1/quality/resources/{code}/rules", headers=analyst).json()
    kinds = {(r["item"], r["kind"], r["origin"]) for r in rules["rules"]}
    assert ("id_number", "resident_id", "default") in kinds
    body = [{"item": "gender", "kind": "enum", "params": {"values": ["男", "女"]}}]

    changed = api.put(f"/api/v1/quality/resources/{code}/rules", json=body, headers=analyst)
    refused = api.put(
        f"/api/v1/quality/resources/{code}/rules", json=body, headers=login("handler")
    )
    bad = api.put(
        f"/api/v1/quality/resources/{code}/rules",
        json=[{"item": "gender", "kind": "range", "params": {}}],
        headers=analyst,
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["explicit"] == [
        {"item": "gender", "kind": "enum", "enabled": True,
         "params": {"values": ["男", "女"], "ignore_case": False}},
    ]  # fmt: skip
    assert refused.status_code == 403
    assert (bad.status_code, bad.json()["code"]) == (422, "bad_rule_params")


def test_order_download_and_resubmission_over_http(
    tmp_path: Path, api: TestClient, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    # The handler works for the providing department: its orders are the handler's own.
    analyst, handler = login("analyst"), login("handler", department_code=DEPARTMENT)
    rows = [person(1), person(2, 公民身份号码="620722198503070039")]
    detail = _upload(api, code, write_csv(tmp_path / "a.csv", rows), analyst)
    order_id = detail["rectification_order_id"]
    assert order_id is not None

    orders = api.get("/api/v1/quality/orders", params={"status": "open"}, headers=handler).json()
    assert order_id in [o["id"] for o in orders["items"]]
    order = api.get(f"/api/v1/quality/orders/{order_id}", headers=handler).json()
    assert (order["status"], order["remaining_rows"], order["overdue"]) == ("open", 1, False)
    assert (
        api.get(f"/api/v1/quality/orders/{order_id}/failed-rows.xlsx", headers=analyst).status_code
        == 403
    )
    download = api.get(f"/api/v1/quality/orders/{order_id}/failed-rows.xlsx", headers=handler)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")

    sheet: Any = load_workbook(io.BytesIO(download.content)).active
    grid = [[c.value for c in row] for row in sheet.iter_rows()]
    grid[1][grid[0].index("公民身份号码")] = person_id(2)
    workbook = Workbook()
    out: Any = workbook.active
    for row in grid:
        out.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = api.post(
        f"/api/v1/quality/orders/{order_id}/resubmissions",
        files={"file": ("fixed.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=handler,
    )

    assert result.status_code == 200, result.text
    assert (result.json()["status"], result.json()["passed_rows"]) == ("closed", 1)
    scores = api.get("/api/v1/quality/departments/scores", headers=analyst).json()
    mine = next(s for s in scores if s["department_code"] == "620722-GA")
    assert (mine["total_rows"], mine["passed_rows"], mine["open_orders"]) == (3, 2, 0)
    report = api.get(f"/api/v1/quality/reports/{detail['report']['id']}", headers=analyst).json()
    assert report["failed_rows"] == 1
    outside = login("analyst", "510903")
    assert api.get(f"/api/v1/quality/orders/{order_id}", headers=outside).status_code == 404
