"""Open311 GeoReport v2: every answer validated against the JSON Schemas of
shared/data/open311/schema-validation_georeport-v2, XML with the spec's element names, api_key
as the spec says, and the spec's error list for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

BASE = "/open311/v2"


def _schema(data_dir: Path, name: str) -> dict[str, Any]:
    folder = data_dir / "open311" / "schema-validation_georeport-v2"
    schema: dict[str, Any] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    items = schema.get("items", {})
    if "$ref" in items:  # requests.json → request.json, services.json → service.json
        schema["items"] = _schema(data_dir, items["$ref"].removesuffix(".json"))
    return schema


def _valid(data_dir: Path, name: str, document: Any) -> None:
    validator = jsonschema_rs.validator_for(_schema(data_dir, name), validate_formats=True)
    errors = [e.message for e in validator.iter_errors(document)]
    assert not errors, errors


def _post(api: TestClient, fmt: str = "json", **form: Any) -> Any:
    return api.post(f"{BASE}/requests.{fmt}", data=form)


def test_services_and_a_definition(api: TestClient, seeded: None, data_dir: Path) -> None:
    services = api.get(f"{BASE}/services.json")
    assert services.status_code == 200
    assert services.headers["content-type"].startswith("application/json")
    _valid(data_dir, "services", services.json())
    codes = {s["service_code"] for s in services.json()}
    assert {"12345-01", "BJ-01", "SJ-01"} <= codes
    definition = api.get(f"{BASE}/services/12345-01.json")
    _valid(data_dir, "service-definition", definition.json())
    xml = api.get(f"{BASE}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    assert xml.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml.content)  # noqa: S314
    assert root.tag == "services"
    assert root[0].tag == "service"
    assert {c.tag for c in root[0]} >= {"service_code", "service_name", "metadata", "type"}
    missing = api.get(f"{BASE}/services/nope.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404
    assert "event_category_not_found" in missing.json()[0]["description"]


def test_post_needs_a_valid_key_a_known_service_and_a_place(
    api: TestClient, report_key: str
) -> None:
    no_key = _post(api, service_code="12345-01", lat=38.43, long=100.81)
    assert no_key.status_code == 403
    assert no_key.json()[0]["code"] == 403
    bad_key = _post(api, api_key="cbk_nope_x", service_code="12345-01", lat=38.43, long=100.81)
    assert bad_key.status_code == 403
    unknown = _post(api, api_key=report_key, service_code="nope", lat=38.43, long=100.81)
    assert unknown.status_code == 404
    nowhere = _post(api, api_key=report_key, service_code="12345-01", description="x")
    assert nowhere.status_code == 400
    assert "location_required" in nowhere.json()[0]["description"]
    xml = _post(api, "xml", api_key=report_key, service_code="12345-01")
    assert xml.status_code == 400
    assert ET.fromstring(xml.content).tag == "errors"  # noqa: S314


def test_a_request_round_trip(api: TestClient, report_key: str, data_dir: Path) -> None:
    created = _post(
        api, api_key=report_key, service_code="12345-01", lat=38.43, long=100.81,
        description="道路破损, 坑洼积水", first_name="三", last_name="张", phone="13812345678",
    )  # fmt: skip
    assert created.status_code == 200, created.text
    body = created.json()
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    request_id = body[0]["service_request_id"]
    one = api.get(f"{BASE}/requests/{request_id}.json")
    _valid(data_dir, "requests", one.json())
    assert one.json()[0]["status"] == "open"
    assert one.json()[0]["description"] is None
    assert "13812345678" not in one.text
    assert "张" not in one.text
    token = api.get(f"{BASE}/tokens/{request_id}.json").json()
    assert token == [{"service_request_id": request_id, "token": request_id}]
    assert api.get(f"{BASE}/tokens/ZZZZZZZZZZ.json").status_code == 404
    listed = api.get(f"{BASE}/requests.json", params={"api_key": report_key})
    _valid(data_dir, "requests", listed.json())
    mine = [r for r in listed.json() if r["service_request_id"] == request_id]
    assert mine
    assert mine[0]["description"] == "道路破损, 坑洼积水"
    by_id = api.get(f"{BASE}/requests.json", params={"service_request_id": request_id})
    assert [r["service_request_id"] for r in by_id.json()] == [request_id]
    closed = api.get(f"{BASE}/requests.json", params={"api_key": report_key, "status": "closed"})
    assert request_id not in {r["service_request_id"] for r in closed.json()}
    xml = api.get(f"{BASE}/requests/{request_id}.xml")
    root = ET.fromstring(xml.content)  # noqa: S314
    assert root.tag == "service_requests"
    assert root[0].tag == "request"
    assert root[0].findtext("service_request_id") == request_id


def test_listing_without_a_key_needs_ids(api: TestClient, seeded: None) -> None:
    response = api.get(f"{BASE}/requests.json")
    assert response.status_code == 403


@pytest.mark.parametrize("fmt", ["yaml", "html"])
def test_only_json_and_xml(api: TestClient, seeded: None, fmt: str) -> None:
    assert api.get(f"{BASE}/services.{fmt}").status_code in (404, 422)
