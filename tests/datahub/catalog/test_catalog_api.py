"""The catalog over HTTP: permissions, error codes, versions, the workbook and demands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from citybrain.datahub.catalog.excel import XLSX_MEDIA_TYPE
from citybrain.datahub.catalog.models import CatalogResource

Login = Callable[..., dict[str, str]]
BASE = "/api/v1/catalog"


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "620722-MZ-101",
        "name": "残疾人两项补贴对象",
        "provider_code": "620722-MZ",
        "category": "department",
        "share_type": "conditional",
        "share_condition": "用于补贴资格核查",
        "share_method": "api",
        "items": [
            {"name": "id_number", "title": "公民身份号码", "sensitivity": "sensitive",
             "mask": "id_number"},
            {"name": "subsidy", "title": "补贴金额", "type": "decimal"},
        ],
    }  # fmt: skip
    data.update(changes)
    return data


def test_analyst_registers_changes_and_reads_versions(
    api: TestClient, login: Login, demo_catalog: list[CatalogResource]
) -> None:
    headers = login("analyst")

    created = api.post(f"{BASE}/resources", json=body(), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["provider_name"] == "民乐县民政局"
    assert created.json()["version"] == 1

    changed = api.patch(
        f"{BASE}/resources/620722-MZ-101", json={"summary": "按月发放"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2

    versions = api.get(f"{BASE}/resources/620722-MZ-101/versions", headers=headers).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["snapshot"]["summary"] == ""
    first = api.get(f"{BASE}/resources/620722-MZ-101/versions/1", headers=headers)
    assert first.json()["version"] == 1

    found = api.get(f"{BASE}/resources", params={"q": "补贴金额"}, headers=headers).json()
    assert [r["code"] for r in found["items"]] == ["620722-MZ-101"]

    retired = api.post(
        f"{BASE}/resources/620722-MZ-101/retire", json={"reason": "合并"}, headers=headers
    )
    assert retired.json()["status"] == "retired"


def test_errors_carry_stable_codes(
    api: TestClient, login: Login, demo_catalog: list[CatalogResource]
) -> None:
    headers = login("analyst")
    refused = api.post(f"{BASE}/resources", json=body(share_condition=""), headers=headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "share_condition_required"
    basis = api.post(f"{BASE}/resources", json=body(share_type="none"), headers=headers)
    assert basis.json()["code"] == "share_basis_required"
    no_dept = api.post(f"{BASE}/resources", json=body(provider_code="620722-XX"), headers=headers)
    assert (no_dept.status_code, no_dept.json()["code"]) == (404, "department_not_found")
    missing = api.get(f"{BASE}/resources/620722-MZ-404", headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "resource_not_found")
    taken = api.post(f"{BASE}/resources", json=body(code="620722-MZ-001"), headers=headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "resource_code_taken")


def test_permissions_and_region(
    api: TestClient, login: Login, demo_catalog: list[CatalogResource]
) -> None:
    assert api.get(f"{BASE}/resources").status_code == 401
    viewer = login("viewer")
    assert api.get(f"{BASE}/resources", headers=viewer).json()["total"] == 9
    assert api.post(f"{BASE}/resources", json=body(), headers=viewer).status_code == 403
    assert api.post(f"{BASE}/import", headers=viewer, files={}).status_code == 403
    neighbour = login("analyst", "620725")
    assert api.get(f"{BASE}/resources", headers=neighbour).json()["total"] == 0
    refused = api.post(f"{BASE}/resources", json=body(), headers=neighbour)
    assert (refused.status_code, refused.json()["code"]) == (403, "region_out_of_scope")


def test_workbook_round_trip_over_http(
    api: TestClient, login: Login, demo_catalog: list[CatalogResource]
) -> None:
    headers = login("analyst")
    exported = api.get(f"{BASE}/export.xlsx", headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == XLSX_MEDIA_TYPE

    files = {"file": ("catalog.xlsx", exported.content, XLSX_MEDIA_TYPE)}
    imported = api.post(f"{BASE}/import", files=files, headers=headers)
    assert imported.status_code == 200, imported.text
    assert imported.json()["unchanged"] == 9

    junk = {"file": ("catalog.xlsx", b"not a workbook", XLSX_MEDIA_TYPE)}
    refused = api.post(f"{BASE}/import", files=junk, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "catalog_import_invalid")
    assert refused.json()["detail"][0]["message"] == "不是有效的 Excel (xlsx) 文件"


def test_departments_register_needs_and_the_bureau_matches(
    api: TestClient, login: Login, demo_catalog: list[CatalogResource]
) -> None:
    need = {
        "requester_code": "620722-MZ",
        "title": "低保对象参保状态",
        "wanted_items": ["公民身份号码", "缴费状态"],
    }
    # A need is registered in the requesting department's own name only.
    other = api.post(
        f"{BASE}/demands", json=need, headers=login("handler", department_code="620722-GA")
    )
    assert (other.status_code, other.json()["code"]) == (403, "department_out_of_scope")
    handler = login("handler", department_code="620722-MZ")
    created = api.post(f"{BASE}/demands", json=need, headers=handler)
    assert created.status_code == 201, created.text
    demand_id = created.json()["id"]
    match = {"resource_code": "620722-RS-001", "note": "已对接"}
    assert (
        api.post(f"{BASE}/demands/{demand_id}/match", json=match, headers=handler).status_code
        == 403
    )

    analyst = login("analyst")
    suggestions = api.get(f"{BASE}/demands/{demand_id}/suggestions", headers=analyst).json()
    assert suggestions[0]["resource_code"] == "620722-RS-001"
    matched = api.post(f"{BASE}/demands/{demand_id}/match", json=match, headers=analyst)
    assert matched.json()["status"] == "matched"
    listed = api.get(f"{BASE}/demands", params={"status": "matched"}, headers=handler).json()
    assert [d["id"] for d in listed["items"]] == [demand_id]
    assert listed["items"][0]["matched_resource_code"] == "620722-RS-001"


def test_viewer_cannot_register_needs(
    api: TestClient, login: Login, demo_catalog: list[CatalogResource]
) -> None:
    need = {"requester_code": "620722-MZ", "title": "x"}
    assert api.post(f"{BASE}/demands", json=need, headers=login("viewer")).status_code == 403
