"""The public list of open resources and their CSV downloads (no login)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from citybrain.analytics import hub
from citybrain.datahub.catalog.models import CatalogResource
from hub_testing import fresh_store

BASE = "/api/v1/opendata/resources"


def test_list_shows_published_resources_without_login(
    api: TestClient, demo_catalog: list[CatalogResource]
) -> None:
    listed = api.get(BASE)
    assert listed.status_code == 200
    entries = {e["code"]: e for e in listed.json()}
    assert set(entries) == {"620722-DSJ-001", "620722-SJ-001", "620722-WJ-002"}
    assert entries["620722-SJ-001"]["download_url"].endswith("/620722-SJ-001/download.csv")
    assert entries["620722-WJ-002"]["download_url"] is None
    assert entries["620722-WJ-002"]["open_label"] == "有条件开放"
    one = api.get(f"{BASE}/620722-SJ-001")
    assert one.json()["provider_name"] == "民乐县市场监督管理局"
    assert api.get(f"{BASE}/620722-GA-001").status_code == 404


def test_download_without_hub_rows_is_the_published_header(
    api: TestClient, demo_catalog: list[CatalogResource], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    api.app.state.hub_store = fresh_store(tmp_path)  # type: ignore[attr-defined]
    response = api.get(f"{BASE}/620722-DSJ-001/download.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="620722-DSJ-001.csv"' in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    assert response.content.decode("utf-8-sig").splitlines() == [
        "乡镇代码,乡镇名称,统计年度,户数,户籍人口数,男性人口,女性人口,60岁及以上人口"
    ]


def test_download_serves_hub_rows_masked(
    api: TestClient, demo_catalog: list[CatalogResource], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    store = fresh_store(tmp_path)
    api.app.state.hub_store = store  # type: ignore[attr-defined]
    columns = [
        ("uscc", "VARCHAR"), ("enterprise_name", "VARCHAR"), ("legal_representative", "VARCHAR"),
        ("registered_address", "VARCHAR"), ("established_on", "DATE"),
        ("registered_capital", "DOUBLE"), ("business_status", "VARCHAR"),
        ("updated_at", "TIMESTAMP"),
    ]  # fmt: skip
    spec = hub.HubTableSpec(
        "620722-SJ-001", tuple(hub.HubColumn(n, t) for n, t in columns), "TIMESTAMP"
    )
    with store.staging(spec) as staging:
        staging.append(
            {
                "uscc": ["91620722MA74XXXX1X"], "enterprise_name": ["民乐县祁连马铃薯有限公司"],
                "legal_representative": ["欧阳修远"], "registered_address": ["民乐县洪水镇"],
                "established_on": ["2019-05-20"], "registered_capital": ["500"],
                "business_status": ["存续"], "updated_at": ["2024-06-01 08:00:00"],
                "_key": ["91620722MA74XXXX1X"], "_version": ["2024-06-01 08:00:00"],
                "_source_row": ["2"],
            }
        )  # fmt: skip
        staging.merge(batch_id=1)

    lines = api.get(f"{BASE}/620722-SJ-001/download.csv").content.decode("utf-8-sig").splitlines()

    assert lines[0].startswith("统一社会信用代码,企业名称,法定代表人,")
    assert lines[1].split(",")[:3] == ["91620722MA74XXXX1X", "民乐县祁连马铃薯有限公司", "欧阳**"]


def test_downloads_of_unopen_resources_are_refused(
    api: TestClient, demo_catalog: list[CatalogResource]
) -> None:
    conditional = api.get(f"{BASE}/620722-WJ-002/download.csv")
    assert (conditional.status_code, conditional.json()["code"]) == (403, "open_on_application")
    closed = api.get(f"{BASE}/620722-GA-001/download.csv")
    assert (closed.status_code, closed.json()["code"]) == (404, "resource_not_found")
    assert api.get(f"{BASE}/620722-XX-404/download.csv").status_code == 404


def test_public_paths_are_declared(api: TestClient) -> None:
    from citybrain.datahub.opendata.router import PUBLIC_ROUTE_PATHS, router

    assert {route.path for route in router.routes} == PUBLIC_ROUTE_PATHS  # type: ignore[attr-defined]
