"""The DCAT JSON-LD document: only published resources, with DCAT's terms and prefixes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.scope import Scope
from citybrain.datahub.catalog import service
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.opendata.dcat import ACCESS_PUBLIC, ACCESS_RESTRICTED, CONTEXT


def prefixed_keys(node: Any) -> set[str]:
    """Every compact key (``dct:title``) used anywhere in the document."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if ":" in key:
                found.add(key)
            found |= prefixed_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= prefixed_keys(value)
    return found


def test_catalog_holds_only_published_resources(
    api: TestClient, demo_catalog: list[CatalogResource]
) -> None:
    response = api.get("/catalog.jsonld")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    document = response.json()
    assert set(document["@context"]) >= {"dcat", "dct", "foaf", "vcard"}
    assert document["@type"] == "dcat:Catalog"
    datasets = {d["dct:identifier"]: d for d in document["dcat:dataset"]}
    assert set(datasets) == {"620722-DSJ-001", "620722-SJ-001", "620722-WJ-002"}

    enterprises = datasets["620722-SJ-001"]
    assert enterprises["@type"] == "dcat:Dataset"
    assert enterprises["dct:title"]["@value"] == "企业登记信息"
    assert enterprises["dct:publisher"]["foaf:name"] == "民乐县市场监督管理局"
    assert enterprises["dct:issued"] == {"@value": "2024-03-01", "@type": "xsd:date"}
    assert enterprises["dct:modified"]["@type"] == "xsd:dateTime"
    assert enterprises["dct:accrualPeriodicity"] == {"@id": "http://purl.org/cld/freq/daily"}
    assert enterprises["dct:accessRights"] == {"@id": ACCESS_PUBLIC}
    assert "市场监管" in enterprises["dcat:keyword"]
    [distribution] = enterprises["dcat:distribution"]
    assert distribution["dcat:downloadURL"]["@id"].endswith(
        "/api/v1/opendata/resources/620722-SJ-001/download.csv"
    )

    clinics = datasets["620722-WJ-002"]  # 有条件开放
    assert clinics["dct:accessRights"] == {"@id": ACCESS_RESTRICTED}
    assert "dcat:downloadURL" not in clinics["dcat:distribution"][0]
    assert "dcat:accessURL" in clinics["dcat:distribution"][0]

    prefixes = {key.split(":", 1)[0] for key in prefixed_keys(document)}
    assert prefixes <= set(CONTEXT)


def test_retired_resources_leave_the_catalog(
    api: TestClient, session: Session, demo_catalog: list[CatalogResource]
) -> None:
    service.retire_resource(session, code="620722-SJ-001", scope=Scope.system())
    session.flush()
    identifiers = [d["dct:identifier"] for d in api.get("/catalog.jsonld").json()["dcat:dataset"]]
    assert identifiers == ["620722-DSJ-001", "620722-WJ-002"]


def test_the_document_names_the_media_type_the_catalog_is_sent_as(api: TestClient) -> None:
    # the fuzz run's content-type check: it said application/json, the route sends JSON-LD
    documented = api.app.openapi()["paths"]["/catalog.jsonld"]["get"]["responses"]["200"]
    sent = api.get("/catalog.jsonld").headers["content-type"].split(";")[0]
    assert list(documented["content"]) == [sent] == ["application/ld+json"]
