"""Events through the API: intake by a department system's key, the life cycle with its
timeline and audit, scoping by region and department, the public tracking view."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.audit.models import AuditRecord
from citybrain.events.models import Event
from fixtures_iam import Login

EVENTS = "/api/v1/events"
PHONE = "13812345678"


def _report(api: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {
        "title": "小区门口井盖缺失", "description": "东街小区门口井盖缺失, 夜间危险",
        "address": "民乐县东街", "reporter_name": "张三", "reporter_phone": PHONE,
    }  # fmt: skip
    response = api.post(EVENTS, json={**payload, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _act(api: TestClient, headers: dict[str, str], event_id: int, action: str, **body: Any) -> Any:
    return api.post(
        f"{EVENTS}/{event_id}/transitions", json={"action": action, **body}, headers=headers
    )


@pytest.fixture
def people(login: Login, departments: tuple[str, str], seeded: None) -> dict[str, dict[str, str]]:
    return {
        "commander": login("commander"),
        "zj": login("handler", department_code="620722-ZJ"),
        "cg": login("handler", department_code="620722-CG"),
        "grid": login("gridworker"),
        "viewer": login("viewer"),
        "other": login("commander", "510903"),
    }


def test_an_api_key_reports_and_the_phone_is_sealed(
    api: TestClient, report_key: str, session: Session, people: dict[str, dict[str, str]]
) -> None:
    seen: list[domain_events.DomainEvent] = []
    domain_events.subscribe("event.created", seen.append)
    created = _report(api, {"X-API-Key": report_key}, category_code="12345-01")
    assert created["status"] == "received"
    assert created["channel"] == "api"
    assert len(created["tracking_code"]) == 10
    assert created["reporter_phone"] == "138****5678"  # no pii:unmask
    row = session.get(Event, created["id"])
    assert row is not None
    assert PHONE not in row.reporter_phone_enc
    assert row.reporter_phone_bidx
    assert row.created_by.startswith("apikey:")
    assert [s["action"] for s in created["steps"]] == ["receive"]
    assert any(e.payload["event_id"] == created["id"] for e in seen)
    audit = session.execute(
        select(AuditRecord).where(AuditRecord.object_type == "event",
                                  AuditRecord.object_id == str(created["id"]))
    ).scalars().all()  # fmt: skip
    assert [a.action for a in audit] == ["event.create"]


def test_a_key_without_the_scope_and_a_foreign_region_are_refused(
    api: TestClient, report_key: str, session: Session, seeded: None
) -> None:
    from citybrain.iam import apikeys

    _, plain = apikeys.create_api_key(
        session, name="只读", region_code="620722", scopes=["regions:read"], days=30
    )
    response = api.post(EVENTS, json={"title": "x"}, headers={"X-API-Key": plain})
    assert response.status_code == 403
    response = api.post(
        EVENTS, json={"title": "x", "region_code": "510903"}, headers={"X-API-Key": report_key}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "region_out_of_scope"
    response = api.post(
        EVENTS, json={"title": "x", "category_code": "nope"}, headers={"X-API-Key": report_key}
    )
    assert response.json()["code"] == "event_category_not_found"


def test_the_whole_life_cycle_with_timeline_and_audit(
    api: TestClient, people: dict[str, dict[str, str]], session: Session
) -> None:
    event = _report(api, people["grid"])
    eid = event["id"]
    # the department sees nothing until the event is dispatched to it
    assert api.get(f"{EVENTS}/{eid}", headers=people["zj"]).status_code == 404
    assert _act(api, people["zj"], eid, "accept").status_code == 404
    bad = _act(api, people["commander"], eid, "close")
    assert bad.status_code == 409
    assert bad.json()["code"] == "action_not_allowed"
    assert _act(api, people["commander"], eid, "dispatch").json()["code"] == "department_required"
    assert (
        _act(api, people["commander"], eid, "dispatch", department_code="620722-ZJ").status_code
        == 200
    )
    assert api.get(f"{EVENTS}/{eid}", headers=people["cg"]).status_code == 404
    assert _act(api, people["cg"], eid, "accept").status_code == 404
    returned = _act(api, people["zj"], eid, "return")
    assert returned.json()["code"] == "reason_required"
    assert (
        _act(api, people["zj"], eid, "return", comment="不属本部门职责").json()["status"]
        == "returned"
    )
    moved = _act(api, people["commander"], eid, "reassign", department_code="620722-CG").json()
    assert moved["status"] == "dispatched"
    assert moved["department_code"] == "620722-CG"
    assert api.get(f"{EVENTS}/{eid}", headers=people["zj"]).status_code == 404
    assert _act(api, people["cg"], eid, "accept").json()["status"] == "accepted"
    handled = _act(api, people["cg"], eid, "handle", comment="已补装井盖").json()
    assert handled["status"] == "handled"
    assert _act(api, people["viewer"], eid, "check").status_code == 403
    checked = _act(api, people["commander"], eid, "check", comment="现场核实").json()
    assert checked["status"] == "checked"
    closed = _act(api, people["commander"], eid, "close").json()
    assert closed["status"] == "closed"
    assert closed["allowed_actions"] == []
    assert [s["action"] for s in closed["steps"]] == [
        "receive", "dispatch", "return", "reassign", "accept", "handle", "check", "close",
    ]  # fmt: skip
    audit = session.execute(
        select(AuditRecord.action).where(AuditRecord.object_type == "event",
                                         AuditRecord.object_id == str(eid))
    ).scalars().all()  # fmt: skip
    assert audit.count("event.transition") == 7


def test_lists_are_scoped_by_region_and_department(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    mine = _report(api, people["commander"], title="区划内事件")
    theirs = _report(api, people["other"], title="他区事件")
    _act(api, people["commander"], mine["id"], "dispatch", department_code="620722-ZJ")

    def ids(who: str) -> set[int]:
        response = api.get(EVENTS, params={"size": 500}, headers=people[who])
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert mine["id"] in ids("commander")
    assert theirs["id"] not in ids("commander")
    assert mine["id"] in ids("zj")
    assert mine["id"] not in ids("cg")
    assert theirs["id"] in ids("other")
    assert mine["id"] not in ids("other")
    assert api.get(f"{EVENTS}/{mine['id']}", headers=people["other"]).status_code == 404
    dispatch = _act(api, people["commander"], theirs["id"], "dispatch", department_code="620722-ZJ")
    assert dispatch.status_code == 404
    foreign = _act(api, people["other"], theirs["id"], "dispatch", department_code="620722-ZJ")
    assert foreign.json()["code"] == "department_out_of_region"


def test_the_public_tracking_view_hides_people(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    event = _report(api, people["grid"])
    _act(api, people["commander"], event["id"], "dispatch", department_code="620722-ZJ")
    public = api.get(f"{EVENTS}/track/{event['tracking_code']}")
    assert public.status_code == 200
    body = public.text
    assert "张三" not in body
    assert PHONE not in body
    assert "5678" not in body
    assert "井盖缺失, 夜间" not in body  # the description stays inside
    assert [s["status"] for s in public.json()["steps"]] == ["received", "dispatched"]
    assert api.get(f"{EVENTS}/track/ZZZZZZZZZZ").status_code == 404


def test_a_citizen_reports_without_login(api: TestClient, seeded: None) -> None:
    response = api.post(
        f"{EVENTS}/citizen",
        json={"description": "路灯不亮已经三天了", "region_code": "620722000000",
              "address": "民乐县南街", "category_code": "BJ-01", "reporter_phone": PHONE},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    code = response.json()["tracking_code"]
    tracked = api.get(f"{EVENTS}/track/{code}").json()
    assert tracked["status"] == "received"
    assert tracked["category_name"] == "公用设施"
    bad = api.post(f"{EVENTS}/citizen", json={"description": "路灯不亮已经三天了",
                                              "region_code": "99"})  # fmt: skip
    assert bad.status_code == 404
    assert bad.json()["code"] == "region_not_found"


def test_a_point_is_placed_in_its_grid_when_there_is_one(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    # 民乐县 near its centre (GCJ-02); without grids loaded the event stays at the county.
    event = _report(api, people["commander"], lng=100.8166, lat=38.4349, crs="gcj02")
    assert event["region_code"].startswith("620722")
    assert event["lng"] is not None
    assert abs(event["lng"] - 100.8166) < 0.01
    assert event["lng"] != 100.8166  # stored as WGS-84
    half = api.post(EVENTS, json={"title": "x", "lng": 100.8}, headers=people["commander"])
    assert half.json()["code"] == "location_incomplete"


def test_categories_are_seeded_on_first_use_and_editable(api: TestClient, login: Login) -> None:
    listed = api.get(f"{EVENTS}/categories", params={"scheme": "12345"}).json()
    first = [c["name"] for c in listed if c["level"] == 1]
    assert len(first) == 15
    assert "城乡建设" in first
    assert len([c for c in listed if c["level"] == 3]) >= 390
    parts = api.get(f"{EVENTS}/categories", params={"scheme": "gbt30428_part"}).json()
    assert [c["code"] for c in parts][:2] == ["BJ-01", "BJ-02"]
    body = {"active": False}
    assert (
        api.patch(f"{EVENTS}/categories/BJ-06", json=body, headers=login("viewer")).status_code
        == 403
    )
    changed = api.patch(f"{EVENTS}/categories/BJ-06", json=body, headers=login("sysadmin"))
    assert changed.status_code == 200
    assert changed.json()["active"] is False


def test_a_point_in_a_grid_places_the_event_there(
    api: TestClient, people: dict[str, dict[str, str]], session: Session
) -> None:
    from citybrain.regions import geo
    from citybrain.regions import queries as region_queries
    from citybrain.regions import service as region_service

    region_service.create_synthetic_grids(session, county_code="620722")
    session.flush()
    boundary = region_queries.boundary(session, "620722101001001")
    assert boundary is not None
    inside = geo.loads(boundary.geojson).representative_point()  # WGS-84
    lng, lat = geo.wgs84_to_gcj02(inside.x, inside.y)  # as a phone map would send it
    event = _report(api, people["commander"], lng=lng, lat=lat)
    assert event["grid_code"] == "620722101001001"
    assert event["region_code"] == "620722101001001"
    assert abs(event["lng"] - inside.x) < 1e-6
    # the grid's event is still the county's: its dispatchers see it
    listed = api.get(EVENTS, params={"size": 500}, headers=people["commander"]).json()
    assert event["id"] in {item["id"] for item in listed["items"]}
