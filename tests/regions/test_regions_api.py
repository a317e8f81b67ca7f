"""The regions API: reads inside the caller's subtree, 403 outside it, 404/422 for bad codes,
GeoJSON for the map, point → grid, grid import and grid members.

``login(role, region_code)`` (tests/fixtures_iam.py) signs a real user in and returns headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from citybrain.regions import geo, queries, service

Login = Callable[[str, str], dict[str, str]]
API = "/api/v1/regions"


@pytest.fixture
def minle(login: Login) -> dict[str, str]:
    return login("viewer", "620722")


@pytest.fixture
def minle_admin(login: Login) -> dict[str, str]:
    return login("sysadmin", "620722")


def test_read_region_inside_scope(client: TestClient, minle: dict[str, str]) -> None:
    response = client.get(f"{API}/620722", headers=minle)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "code": "620722",
        "name": "民乐县",
        "level": "county",
        "parent_code": "6207",
        "parent_name": "张掖市",
        "has_children": True,
        "properties": {},
    }
    statistical = client.get(f"{API}/620722101000", headers=minle)
    assert statistical.status_code == 200
    assert statistical.json()["code"] == "620722101"


def test_children(client: TestClient, minle: dict[str, str]) -> None:
    response = client.get(f"{API}/620722/children", headers=minle)
    assert response.status_code == 200
    towns = response.json()
    assert len(towns) == 11
    assert all(t["level"] == "town" and t["has_children"] for t in towns)
    assert {t["parent_name"] for t in towns} == {"民乐县"}
    villages = client.get(f"{API}/{towns[0]['code']}/children", headers=minle).json()
    assert villages
    assert all(v["level"] == "village" and not v["has_children"] for v in villages)


def test_minle_user_is_refused_a_suining_region(client: TestClient, minle: dict[str, str]) -> None:
    for path in ("510903", "510903/children", "510903/path", "510903/geojson", "5109"):
        response = client.get(f"{API}/{path}", headers=minle)
        assert response.status_code == 403, path
        assert response.json()["code"] == "out_of_scope"
    # its own ancestors are outside its subtree too
    assert client.get(f"{API}/6207", headers=minle).status_code == 403
    # out of scope is decided before existence: no probing of codes
    assert client.get(f"{API}/510903999999", headers=minle).json()["code"] == "out_of_scope"


def test_unknown_and_malformed_codes(client: TestClient, minle: dict[str, str]) -> None:
    unknown = client.get(f"{API}/620722199", headers=minle)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "region_not_found"
    for bad in ("62072", "abc", "6207221001"):
        malformed = client.get(f"{API}/{bad}", headers=minle)
        assert malformed.status_code == 422, bad
        assert malformed.json()["code"] == "bad_region_code"
        assert "区划代码" in malformed.json()["message"]


def test_anonymous_caller_is_refused(client: TestClient) -> None:
    assert client.get(f"{API}/620722").status_code == 401


def test_path_starts_at_the_callers_region(client: TestClient, minle: dict[str, str]) -> None:
    response = client.get(f"{API}/620722101001/path", headers=minle)
    assert response.status_code == 200
    assert [item["code"] for item in response.json()] == ["620722", "620722101", "620722101001"]


def test_geojson_in_both_coordinate_systems(client: TestClient, minle: dict[str, str]) -> None:
    gcj = client.get(f"{API}/620722/geojson", headers=minle)
    assert gcj.status_code == 200
    body = gcj.json()
    assert body["type"] == "FeatureCollection"
    assert body["crs_name"] == "gcj02"
    (county,) = body["features"]  # no township boundaries without synthetic grids
    assert county["properties"]["name"] == "民乐县"
    assert county["properties"]["role"] == "self"
    # exported GCJ-02 lands back on DataV's original vertex (101.031287, 37.97601)
    exported = shapely.geometry.shape(county["geometry"])
    assert exported.distance(shapely.Point(101.031287, 37.97601)) < 1e-6
    wgs = client.get(f"{API}/620722/geojson", params={"crs": "wgs84"}, headers=minle).json()
    stored = shapely.geometry.shape(wgs["features"][0]["geometry"])
    assert 1e-4 < shapely.hausdorff_distance(stored, exported) < 1e-2
    assert (
        client.get(f"{API}/620722/geojson", params={"crs": "bd09"}, headers=minle).status_code
        == 422
    )


def test_locate_and_synthetic_geojson(
    client: TestClient, session: Session, minle: dict[str, str], login: Login
) -> None:
    service.create_synthetic_grids(session, county_code="620722")
    session.flush()
    grid = geo.loads(queries.boundary(session, "620722101001001").geojson)  # type: ignore[union-attr]
    point = grid.representative_point()
    lng, lat = geo.wgs84_to_gcj02(point.x, point.y)
    found = client.get(f"{API}/locate", params={"lng": lng, "lat": lat}, headers=minle)
    assert found.status_code == 200
    assert found.json()["grid"]["code"] == "620722101001001"
    wgs = client.get(
        f"{API}/locate", params={"lng": point.x, "lat": point.y, "crs": "wgs84"}, headers=minle
    )
    assert wgs.json()["grid"]["code"] == "620722101001001"
    # a Suining user learns nothing about a Minle grid
    suining = login("viewer", "5109")
    hidden = client.get(f"{API}/locate", params={"lng": lng, "lat": lat}, headers=suining)
    assert hidden.status_code == 200
    assert hidden.json()["grid"] is None
    towns = client.get(f"{API}/620722/geojson", headers=minle).json()["features"]
    assert len(towns) == 12
    assert all(f["properties"].get("synthetic") for f in towns[1:])
    # a township's map in one answer: its outline and every grid of its villages
    town = client.get(f"{API}/620722101/geojson", params={"grids": "true"}, headers=minle).json()
    roles = [f["properties"]["role"] for f in town["features"]]
    villages = queries.children(session, "620722101")
    assert roles.count("self") == 1
    assert roles.count("grid") == len(villages) > 0
    assert {f["properties"]["code"][:12] for f in town["features"][1:]} == {
        v.code for v in villages
    }
    without = client.get(f"{API}/620722101/geojson", headers=minle).json()["features"]
    assert [f["properties"]["role"] for f in without] == ["self"]


def _square(dx: float = 0.0) -> dict[str, Any]:
    box = shapely.box(100.80 + dx, 38.40, 100.81 + dx, 38.41)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "试点网格"}, "geometry": mapping(box)}
        ],
    }


def test_grid_import_and_members(
    client: TestClient, minle: dict[str, str], minle_admin: dict[str, str], login: Login
) -> None:
    url = f"{API}/620722101001/grids"
    assert client.post(url, json=_square(), headers=minle).status_code == 403  # no regions:manage
    other = login("sysadmin", "5109")
    assert client.post(url, json=_square(), headers=other).json()["code"] == "out_of_scope"
    created = client.post(url, params={"crs": "wgs84"}, json=_square(), headers=minle_admin)
    assert created.status_code == 201, created.text
    (grid,) = created.json()["created"]
    assert grid["code"] == "620722101001001"
    assert grid["level"] == "grid"

    members = f"{API}/grids/{grid['code']}/members"
    added = client.post(
        members, json={"name": "张三", "user_id": 1, "phone": "13800000000"}, headers=minle_admin
    )
    assert added.status_code == 201, added.text
    listed = client.get(members, headers=minle)
    assert [m["name"] for m in listed.json()] == ["张三"]
    assert (
        client.post(members, json={"name": "张三", "user_id": 1}, headers=minle_admin).status_code
        == 409
    )
    assert client.post(members, json={"name": ""}, headers=minle_admin).status_code == 422
    assert client.post(members, json={"name": "李四"}, headers=minle).status_code == 403
    member_id = added.json()["id"]
    assert client.delete(f"{members}/{member_id}", headers=minle_admin).status_code == 204
    assert client.delete(f"{members}/{member_id}", headers=minle_admin).status_code == 404
    assert (
        client.get(f"{API}/grids/620722101001/members", headers=minle).json()["code"]
        == "not_a_grid"
    )


def test_refused_import_answers_every_problem(
    client: TestClient, minle_admin: dict[str, str]
) -> None:
    document = _square()
    document["features"].append(
        {
            "type": "Feature",
            "properties": {},
            "geometry": mapping(shapely.box(116.0, 39.0, 116.1, 39.1)),
        }
    )
    document["features"].append(
        {
            "type": "Feature",
            "properties": {},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[100.8, 38.4], [100.81, 38.41], [100.81, 38.4], [100.8, 38.41], [100.8, 38.4]]
                ],
            },
        }
    )
    refused = client.post(f"{API}/620722101001/grids", json=document, headers=minle_admin)
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "invalid_grid_geojson"
    assert [(p["index"], p["code"]) for p in body["detail"]] == [
        (1, "grid_outside_parent"),
        (2, "invalid_geometry"),
    ]
    assert client.get(f"{API}/620722101001/children", headers=minle_admin).json() == []
    not_json = client.post(
        f"{API}/620722101001/grids",
        content=b"{oops",
        headers={**minle_admin, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
