"""The security review's findings, one regression test each (on the shared two-region world).

High — users had no department: a handler saw every department's rectification orders and
downloaded another department's failed rows; a handler approved requests for another
department's data; a caller filed a share request in another department's name and took its
token; a requester approved their own request.
Medium — scope was optional: department quality scores leaked across regions, and a person
took its region from the town code inside the source rows instead of the providing
department's region.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from idor_world import PERSON_ITEMS, World, _code
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.core.scope import Scope
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.catalog.service import register_resource
from citybrain.datahub.masterdata.build import survivors, town_within_provider
from citybrain.datahub.masterdata.sources import SourceInfo, SourceRecord
from citybrain.datahub.sharing.rules import china_today
from citybrain.iam import service as iam_service
from citybrain.iam import sessions

QUALITY, SHARING = "/api/v1/quality", "/api/v1/sharing"


def _signed_in(
    session: Session, *, role: str, region: str, department: str | None
) -> dict[str, str]:
    name = f"f{role[:3]}{_code('x').split('-')[-1]}"
    user = iam_service.create_user(
        session, username=name, password="Cb-idor-2024!pass", region_code=region, roles=[role],
        must_change_password=False, department_code=department,
    )  # fmt: skip
    _, token = sessions.start(session, user_id=user.id)
    session.flush()
    return {"Authorization": f"Bearer {token}"}


def _ask(world: World, resource_code: str, requester: str) -> dict[str, Any]:
    today = china_today(utcnow())
    until = today + dt.timedelta(days=30)
    return {
        "resource_code": resource_code, "requester_code": requester, "items": ["name"],
        "purpose": "核查", "legal_basis": "《社会救助暂行办法》",
        "period_start": today.isoformat(), "period_end": until.isoformat(),
    }  # fmt: skip


# --- High ---------------------------------------------------------------------------------------


def test_a_handler_sees_only_its_departments_orders_and_failed_rows(
    world: World, api: TestClient
) -> None:
    ga, mz = world.cells[("620722", "GA")], world.cells[("620722", "MZ")]
    headers = world.actors["handler@620722/GA"].headers
    listed = api.get(f"{QUALITY}/orders?size=200", headers=headers).json()
    assert {o["department_code"] for o in listed["items"]} == {ga.department}
    mine = api.get(f"{QUALITY}/orders/{ga.order_id}/failed-rows.xlsx", headers=headers)
    assert mine.status_code == 200
    theirs = api.get(f"{QUALITY}/orders/{mz.order_id}/failed-rows.xlsx", headers=headers)
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "order_not_found"
    assert mz.marker not in theirs.text


def test_a_handler_approves_only_requests_for_its_departments_resources(
    world: World, api: TestClient, session: Session
) -> None:
    request_id = world.cells[("620722", "GA")].pending_request_id  # GA asks SJ's resource
    for actor in ("handler@620722/MZ", "handler@620722/GA"):  # neither provides it
        refused = api.post(f"{SHARING}/requests/{request_id}/approve", json={"note": ""},
                           headers=world.actors[actor].headers)  # fmt: skip
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "department_out_of_scope"
    provider = _signed_in(session, role="handler", region="620722", department="620722-SJ")
    approved = api.post(f"{SHARING}/requests/{request_id}/approve", json={"note": "同意"},
                        headers=provider)  # fmt: skip
    assert approved.status_code == 200, approved.text


def test_a_request_in_another_departments_name_is_refused_and_yields_no_token(
    world: World, api: TestClient, session: Session
) -> None:
    open_code = _code("620722-SJ")
    spec = ResourceCreate.model_validate({
        "code": open_code, "name": "无条件共享资源", "provider_code": "620722-SJ",
        "category": "basic", "share_type": "unconditional", "share_method": "api",
        "key_item": "id_number", "items": PERSON_ITEMS,
    })  # fmt: skip
    register_resource(session, spec=spec, scope=Scope.system())
    session.flush()
    handler = world.actors["handler@620722/GA"].headers
    analyst = world.actors["analyst@620722"].headers  # bureau staff: sees all, speaks for none
    for headers, requester, status, code in (
        (handler, "620722-MZ", 403, "department_out_of_scope"),  # a sibling department
        (handler, "620722-XX", 404, "department_not_found"),  # a typed code
        (handler, "510903-GA", 403, "region_out_of_scope"),  # another region
        (analyst, "620722-GA", 403, "department_out_of_scope"),
    ):
        answer = api.post(f"{SHARING}/requests", json=_ask(world, open_code, requester),
                          headers=headers)  # fmt: skip
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
        assert "token" not in answer.json()
    own = api.post(f"{SHARING}/requests", json=_ask(world, open_code, "620722-GA"),
                   headers=handler)  # fmt: skip
    assert own.status_code == 201, own.text
    assert own.json()["token"]  # the department's own request does get its token


def test_nobody_decides_their_own_request(world: World, api: TestClient, session: Session) -> None:
    provider = _signed_in(session, role="handler", region="620722", department="620722-SJ")
    resource = world.regions["620722"].sj_resources[0]
    filed = api.post(f"{SHARING}/requests", json=_ask(world, resource, "620722-SJ"),
                     headers=provider)  # fmt: skip
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["request"]["id"]
    for verb, body in (("approve", {"note": ""}), ("reject", {"note": "不需要了"})):
        own = api.post(f"{SHARING}/requests/{request_id}/{verb}", json=body, headers=provider)
        assert own.status_code == 403
        assert own.json()["code"] == "self_approval"
    colleague = _signed_in(session, role="handler", region="620722", department="620722-SJ")
    approved = api.post(f"{SHARING}/requests/{request_id}/approve", json={"note": "同意"},
                        headers=colleague)  # fmt: skip
    assert approved.status_code == 200, approved.text


# --- Medium -------------------------------------------------------------------------------------


def test_department_scores_stay_inside_the_callers_region(world: World, api: TestClient) -> None:
    for region in ("620722", "510903"):
        headers = world.actors[f"analyst@{region}"].headers
        scores = api.get(f"{QUALITY}/departments/scores", headers=headers).json()
        codes = {s["department_code"] for s in scores}
        assert codes == {f"{region}-GA", f"{region}-MZ"}
    handler = world.actors["handler@510903/MZ"].headers
    scores = api.get(f"{QUALITY}/departments/scores", headers=handler).json()
    assert [s["department_code"] for s in scores] == ["510903-MZ"]
    foreign = api.get(f"{QUALITY}/departments/scores", params={"department_code": "620722-GA"},
                      headers=handler)  # fmt: skip
    assert foreign.json() == []


def _record(region: str, town: str) -> SourceRecord:
    source = SourceInfo(f"{region}-GA-000001", f"{region}-GA", region, 0)
    return SourceRecord(f"{region}-GA-000001:1", source, 1, 2, utcnow(), {"town_code": town})


def test_a_person_is_placed_inside_the_providing_departments_region() -> None:
    # A 船山区 (510903) department's row that claims a 民乐县 (620722) town stays in 510903.
    outside = _record("510903", "620722100")
    assert town_within_provider(outside) is None
    assert survivors([outside], cipher=None)["region_code"] == "510903"  # type: ignore[arg-type]
    inside = _record("510903", "510903001")
    assert survivors([inside], cipher=None)["region_code"] == "510903001"  # type: ignore[arg-type]


def test_the_worlds_persons_lie_in_their_departments_regions(
    world: World, session: Session
) -> None:
    from sqlalchemy import select

    from citybrain.datahub.masterdata.models import MasterdataPerson

    rows = session.execute(select(MasterdataPerson.name, MasterdataPerson.region_code)).all()
    mine = [(n, r) for n, r in rows if any(c.marker in n for c in world.cells.values())]
    assert len(mine) == 8
    for name, region in mine:
        cell = next(c for c in world.cells.values() if c.marker in name)
        assert region.startswith(cell.region)
