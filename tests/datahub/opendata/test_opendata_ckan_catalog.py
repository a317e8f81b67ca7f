"""CKAN's organization_show, group_list, tag_list and license_list; the licence every open
dataset carries in CKAN, DCAT and the plain JSON list; organisation filters in any letter case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.opendata.config import OpenDataSettings, get_opendata_settings

ACTION = "/api/3/action"


def _ok(api: TestClient, action: str, **params: Any) -> Any:
    answer = api.post(f"{ACTION}/{action}", json=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"help", "success", "result"}
    assert body["success"] is True
    assert body["help"].endswith(f"/api/3/action/help_show?name={action}")
    return body["result"]


@pytest.fixture
def license_cc0(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CITYBRAIN_OPENDATA_LICENSE_ID", "cc0-1.0")  # any case is accepted
    get_opendata_settings.cache_clear()
    yield
    get_opendata_settings.cache_clear()


def test_organization_show(api: TestClient, demo_catalog: list[CatalogResource]) -> None:
    org = _ok(api, "organization_show", id="620722-sj")
    assert (org["name"], org["title"], org["package_count"]) == (
        "620722-sj", "民乐县市场监督管理局", 1,
    )  # fmt: skip
    assert org["is_organization"] is True
    assert "packages" not in org
    assert _ok(api, "organization_show", id="620722-SJ")["id"] == org["id"]  # a code, any case
    assert _ok(api, "organization_show", id=org["id"])["name"] == "620722-sj"
    full = _ok(api, "organization_show", id="620722-sj", include_datasets=True)
    assert [p["name"] for p in full["packages"]] == ["620722-sj-001"]

    missing = api.get(f"{ACTION}/organization_show", params={"id": "620722-ga"})
    assert missing.status_code == 404  # publishes nothing open: not an organisation here
    assert missing.json()["error"]["__type"] == "Not Found Error"
    no_id = api.get(f"{ACTION}/organization_show")
    assert no_id.status_code == 409
    assert no_id.json()["error"] == {"__type": "Validation Error", "id": ["Missing value"]}


def test_group_list(api: TestClient, demo_catalog: list[CatalogResource]) -> None:
    assert _ok(api, "group_list", sort="name asc") == ["basic", "theme"]
    full = _ok(api, "group_list", all_fields=True, sort="name asc")
    assert [(g["name"], g["title"], g["package_count"]) for g in full] == [
        ("basic", "基础信息资源", 1), ("theme", "主题信息资源", 2),
    ]  # fmt: skip
    assert all(g["is_organization"] is False and g["type"] == "group" for g in full)
    package = _ok(api, "package_show", id="620722-dsj-001")
    assert [g["name"] for g in package["groups"]] == ["theme"]
    found = _ok(api, "package_search", fq="groups:BASIC")
    assert [p["name"] for p in found["results"]] == ["620722-sj-001"]


def test_tag_list(api: TestClient, demo_catalog: list[CatalogResource]) -> None:
    tags = _ok(api, "tag_list")
    assert tags == sorted(tags)
    assert {"基础信息资源", "主题信息资源", "市场监管", "无条件开放", "有条件开放"} <= set(tags)
    assert _ok(api, "tag_list", query="开放") == ["无条件开放", "有条件开放"]
    full = _ok(api, "tag_list", query="市场", all_fields=True)
    assert [(t["name"], t["vocabulary_id"]) for t in full] == [("市场监管", None)]
    assert _ok(api, "tag_list", vocabulary_id="nope") == []


def test_license_list_and_every_dataset_carries_the_default(
    api: TestClient, demo_catalog: list[CatalogResource]
) -> None:
    licenses = {entry["id"]: entry for entry in _ok(api, "license_list")}
    assert {"CC-BY-4.0", "CC0-1.0", "ODbL-1.0"} <= set(licenses)
    cc_by = licenses["CC-BY-4.0"]
    assert cc_by["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert cc_by["is_okd_compliant"] is True
    assert {"title", "status", "od_conformance", "domain_data"} <= set(cc_by)

    for name in _ok(api, "package_list"):
        package = _ok(api, "package_show", id=name)
        assert package["license_id"] == "CC-BY-4.0"
        assert package["license_title"] == cc_by["title"]
        assert package["license_url"] == cc_by["url"]
    assert _ok(api, "package_search", fq="license_id:cc-by-4.0")["count"] == 3

    catalog = api.get("/catalog.jsonld").json()
    for dataset in catalog["dcat:dataset"]:
        assert dataset["dct:license"]["@id"] == cc_by["url"]
        assert dataset["dct:license"]["dct:identifier"] == "CC-BY-4.0"
        assert dataset["dcat:distribution"][0]["dct:license"]["@id"] == cc_by["url"]
    listed = api.get("/api/v1/opendata/resources").json()
    assert {r["license_id"] for r in listed} == {"CC-BY-4.0"}


def test_the_licence_is_a_setting(
    api: TestClient, demo_catalog: list[CatalogResource], license_cc0: None
) -> None:
    package = _ok(api, "package_show", id="620722-sj-001")
    assert package["license_id"] == "CC0-1.0"
    assert package["license_url"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    with pytest.raises(ValidationError, match=r"CC-BY-4\.0"):
        OpenDataSettings(license_id="all-rights-reserved")


def test_organization_filters_match_codes_in_any_case(
    live_url: str, demo_catalog: list[CatalogResource]
) -> None:
    ckan = ckanapi.RemoteCKAN(live_url)
    for value in ("620722-dsj", "620722-DSJ", "620722-Dsj", '"620722-DSJ"'):
        found = ckan.action.package_search(fq=f"organization:{value}")
        assert [p["name"] for p in found["results"]] == ["620722-dsj-001"], value
    assert ckan.action.package_search(fq="organization:620722-DS")["count"] == 0
    listed = ckan.action.organization_list(organizations="620722-SJ,620722-wj", sort="name asc")
    assert listed == ["620722-sj", "620722-wj"]
    assert ckan.action.organization_show(id="620722-WJ")["name"] == "620722-wj"
