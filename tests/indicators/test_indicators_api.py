"""The HTTP API: published indicators and their values for a region and its children, scoped to
the caller, readable with an API key; runs queued through the job system; validation errors."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from indicator_fixtures import COUNTY, World, create, definition, publish, run
from sqlalchemy.orm import Session

from citybrain.iam import apikeys

API = "/api/v1/indicators"


def _published_world(session: Session, world: World) -> None:
    create(session, world, "t_pub")
    publish(session, "t_pub")
    create(session, world, "t_hidden", name="草稿指标")
    run(session, world, ["t_pub"], "2024-01", "2024-03")
    session.flush()


def test_readers_see_published_indicators_and_values(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    _published_world(session, world)
    viewer = login("viewer")
    listed = client.get(
        API, params={"status": "published", "set": world.set}, headers=viewer
    ).json()
    assert [i["code"] for i in listed["items"]] == ["t_pub"]
    assert listed["total"] == 1
    everything = client.get(API, params={"set": world.set}, headers=viewer).json()
    assert [i["code"] for i in everything["items"]] == ["t_pub"]  # drafts never reach readers
    analyst = login("analyst")
    drafts = client.get(API, params={"set": world.set, "q": "草稿"}, headers=analyst).json()
    assert [i["code"] for i in drafts["items"]] == ["t_hidden"]
    assert client.get(f"{API}/t_hidden", headers=viewer).status_code == 404
    assert client.get(f"{API}/t_hidden", headers=analyst).status_code == 200
    board = client.get(API, params={"board": world.board}, headers=viewer).json()
    assert board["total"] == 1

    answer = client.get(
        f"{API}/t_pub/values", params={"from": "2024-02", "to": "2024-03"}, headers=viewer
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    regions = {row["region_code"] for row in body["items"]}
    assert COUNTY in regions
    assert set(world.towns) <= regions
    assert {row["period"] for row in body["items"]} == {"2024-02", "2024-03"}
    county = next(
        r for r in body["items"] if r["region_code"] == COUNTY and r["period"] == "2024-02"
    )
    assert county["region_name"] == "民乐县"
    assert county["colour"] is None
    assert county["value"] == sum(1 for r in world.rows if r[1].startswith("2024-02"))
    town = client.get(
        f"{API}/t_pub/values", params={"region": world.towns[0]}, headers=viewer
    ).json()
    assert {r["region_code"] for r in town["items"]} == {world.towns[0]}
    refused = client.get(f"{API}/t_pub/values", params={"region": "510903"}, headers=viewer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "out_of_scope"
    bad = client.get(f"{API}/t_pub/values", params={"from": "2024Q1"}, headers=viewer)
    assert bad.status_code == 422
    assert bad.json()["code"] == "bad_period"
    outsider = login("viewer", "510903")
    assert client.get(f"{API}/t_pub/values", headers=outsider).status_code == 404


def test_an_api_key_reads_published_values(
    session: Session, world: World, client: TestClient
) -> None:
    _published_world(session, world)
    _, key = apikeys.create_api_key(
        session, name="大屏系统", region_code=COUNTY, scopes=["indicators:read"]
    )
    _, other = apikeys.create_api_key(
        session, name="目录系统", region_code=COUNTY, scopes=["catalog:read"]
    )
    session.flush()
    listed = client.get(API, params={"status": "published"}, headers={"X-API-Key": key})
    assert listed.status_code == 200
    assert "t_pub" in {i["code"] for i in listed.json()["items"]}
    values = client.get(f"{API}/t_pub/values", headers={"X-API-Key": key})
    assert values.status_code == 200
    assert values.json()["items"]
    assert client.get(f"{API}/t_pub/values", headers={"X-API-Key": other}).status_code == 403
    assert client.get(f"{API}/t_hidden", headers={"X-API-Key": key}).status_code == 404


def test_a_rerun_is_queued_and_run_by_the_job_system(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    _published_world(session, world)
    analyst = login("analyst")
    answer = client.post(
        f"{API}/runs",
        json={"codes": ["t_pub"], "period_from": "2024-03", "period_to": "2024-03"},
        headers=analyst,
    )
    assert answer.status_code == 202, answer.text
    batch = answer.json()["batch_key"]
    assert [(r["indicator_code"], r["status"]) for r in answer.json()["runs"]] == [
        ("t_pub", "queued")
    ]
    runs = client.get(f"{API}/runs", params={"indicator": "t_pub"}, headers=analyst).json()["items"]
    mine = [r for r in runs if r["batch_key"] == batch]
    assert [r["status"] for r in mine] == ["ok"], mine  # jobs run at once in tests
    assert mine[0]["sql_text"]
    assert mine[0]["periods"] == {"2024-03": len(world.towns) - 1 + 1}
    viewer = login("viewer")
    seen = client.get(f"{API}/runs", params={"indicator": "t_pub"}, headers=viewer).json()["items"]
    assert seen
    assert all(r["sql_text"] is None and r["error_detail"] is None for r in seen)
    assert (
        client.post(
            f"{API}/runs",
            json={"codes": ["t_pub"], "period_from": "2024-03", "period_to": "2024-03"},
            headers=viewer,
        ).status_code
        == 403
    )
    trend = client.get(f"{API}/t_pub/durations", headers=viewer).json()
    assert len(trend) == 2


def test_the_editor_gets_codes_and_a_dry_run(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    analyst = login("analyst")
    body = definition(world, "t_api").model_dump(mode="json")
    tried = client.post(f"{API}/validate", json=body, headers=analyst).json()
    assert tried["ok"]
    assert tried["row_count"] == 8
    assert tried["rows"]
    assert tried["elapsed_ms"] >= 0
    bad = dict(body, sql_text=body["sql_text"].replace("count(*)", "median(people)"))
    refused = client.post(f"{API}/validate", json=bad, headers=analyst).json()
    assert (refused["ok"], refused["code"]) == (False, "function_not_allowed")
    saved = client.post(API, json=bad, headers=analyst)
    assert saved.status_code == 422
    assert saved.json()["code"] == "function_not_allowed"
    created = client.post(API, json=body, headers=analyst)
    assert created.status_code == 201, created.text
    assert created.json()["source_resources"] == [world.resource]
    submitted = client.post(f"{API}/t_api/submit", json={}, headers=analyst)
    assert submitted.json()["status"] == "submitted"
    same = client.post(f"{API}/t_api/approve", json={}, headers=analyst)
    assert same.status_code == 403
    assert same.json()["code"] == "reviewer_is_author"
    other = login("analyst")
    assert (
        client.post(f"{API}/t_api/approve", json={"note": "同意"}, headers=other).status_code == 200
    )
    queue = client.get(f"{API}/revisions", params={"status": "approved"}, headers=other).json()
    assert "t_api" in {r["indicator_code"] for r in queue["items"]}
    assert (
        client.post(f"{API}/t_api/publish", json={}, headers=other).json()["status"] == "published"
    )
    tree = client.get(f"{API}/tree", headers=login("viewer")).json()
    board = next(b for b in tree if b["code"] == world.board)
    assert [i["code"] for s in board["sets"] for i in s["indicators"]] == ["t_api"]
