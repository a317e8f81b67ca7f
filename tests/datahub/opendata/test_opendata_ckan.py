"""The CKAN-compatible action API, read by the real ``ckanapi`` client over HTTP, and its
envelopes and error shapes checked against what CKAN answers."""

from __future__ import annotations

import json

import ckanapi
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.scope import Scope
from citybrain.datahub.catalog import service
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.catalog.schemas import ResourceUpdate

OPEN_NAMES = ["620722-dsj-001", "620722-sj-001", "620722-wj-002"]


@pytest.fixture(params=["api/action/", "api/3/action/"])
def ckan(request: pytest.FixtureRequest, live_url: str) -> ckanapi.RemoteCKAN:
    client = ckanapi.RemoteCKAN(live_url)
    client.base_url = request.param
    return client


def test_package_list_and_show(
    ckan: ckanapi.RemoteCKAN, demo_catalog: list[CatalogResource]
) -> None:
    assert ckan.action.package_list() == OPEN_NAMES

    package = ckan.action.package_show(id="620722-sj-001")
    assert package["title"] == "企业登记信息"
    assert package["organization"]["name"] == "620722-sj"
    assert package["organization"]["title"] == "民乐县市场监督管理局"
    assert package["isopen"] is True
    [distribution] = package["resources"]
    assert distribution["format"] == "CSV"
    assert distribution["url"].endswith("/api/v1/opendata/resources/620722-SJ-001/download.csv")
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["resource_code"] == "620722-SJ-001"
    assert extras["share_type"] == "无条件共享"
    assert [i["name"] for i in json.loads(extras["data_items"])][:2] == ["uscc", "enterprise_name"]
    assert {t["name"] for t in package["tags"]} == {"基础信息资源", "市场监管", "无条件开放"}

    by_id = ckan.action.package_show(id=package["id"])
    by_code = ckan.action.package_show(id="620722-SJ-001")
    assert by_id["name"] == by_code["name"] == "620722-sj-001"


def test_package_search(ckan: ckanapi.RemoteCKAN, demo_catalog: list[CatalogResource]) -> None:
    everything = ckan.action.package_search()
    assert everything["count"] == 3
    found = ckan.action.package_search(q="统一社会信用代码")
    assert [p["name"] for p in found["results"]] == ["620722-sj-001"]
    by_org = ckan.action.package_search(fq="organization:620722-dsj")
    assert [p["name"] for p in by_org["results"]] == ["620722-dsj-001"]
    paged = ckan.action.package_search(sort="name asc", rows=2, start=1)
    assert paged["count"] == 3
    assert [p["name"] for p in paged["results"]] == OPEN_NAMES[1:]
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="maintainer:someone")


def test_organization_list(ckan: ckanapi.RemoteCKAN, demo_catalog: list[CatalogResource]) -> None:
    names = ckan.action.organization_list(sort="name asc")
    assert names == ["620722-dsj", "620722-sj", "620722-wj"]
    full = ckan.action.organization_list(all_fields=True, sort="name asc")
    assert [(o["name"], o["package_count"]) for o in full] == [
        ("620722-dsj", 1), ("620722-sj", 1), ("620722-wj", 1),
    ]  # fmt: skip
    assert full[1]["title"] == "民乐县市场监督管理局"


def test_not_found_and_closed_resources(
    ckan: ckanapi.RemoteCKAN, session: Session, demo_catalog: list[CatalogResource]
) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="620722-ga-001")  # 不予开放: never published
    service.update_resource(
        session,
        code="620722-SJ-001",
        changes=ResourceUpdate(open_attribute="closed"),
        scope=Scope.system(),
    )
    session.flush()
    assert "620722-sj-001" not in ckan.action.package_list()
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="620722-sj-001")


def test_get_only_clients(live_url: str, demo_catalog: list[CatalogResource]) -> None:
    client = ckanapi.RemoteCKAN(live_url, get_only=True)
    assert client.action.package_list() == OPEN_NAMES
    assert [o["name"] for o in client.action.organization_list(all_fields=True)]


@pytest.mark.parametrize("prefix", ["/api/action", "/api/3/action"])
def test_envelopes_as_ckan_answers_them(
    api: TestClient, demo_catalog: list[CatalogResource], prefix: str
) -> None:
    ok = api.get(f"{prefix}/package_list")
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/json")
    assert set(ok.json()) == {"help", "success", "result"}
    assert ok.json()["success"] is True
    assert ok.json()["help"].endswith("/api/3/action/help_show?name=package_list")

    missing = api.post(f"{prefix}/package_show", json={"id": "no-such-dataset"})
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error"
    assert missing.json()["error"]["message"].startswith("Not found")

    no_id = api.post(f"{prefix}/package_show", json={})
    assert no_id.status_code == 409
    assert no_id.json()["error"] == {"__type": "Validation Error", "id": ["Missing value"]}

    unknown = api.get(f"{prefix}/package_create")
    assert unknown.status_code == 400
    assert unknown.json() == "Bad request - Action name not known: package_create"

    broken = api.post(
        f"{prefix}/package_list", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json().startswith("Bad request - JSON Error")

    helped = api.get(f"{prefix}/help_show", params={"name": "package_search"})
    assert "rows" in helped.json()["result"]
