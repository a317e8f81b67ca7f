"""The sharing HTTP API: people request, decide, revoke and audit with their session; department
systems fetch with the grant token in ``X-Share-Token``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sharing_fixtures import PEOPLE, MakeWorld, World, today
from sqlalchemy.orm import Session

from citybrain.core.clock import frozen
from citybrain.datahub.sharing.router import PREFIX, PUBLIC_ROUTE_PATHS, router

Login = Callable[..., dict[str, str]]


def _body(world: World, **overrides: Any) -> dict[str, Any]:
    args = world.ask(**overrides)
    del args["scope"]  # the caller's scope comes from its credentials
    args["period_start"] = args["period_start"].isoformat()
    args["period_end"] = args["period_end"].isoformat()
    return args


def _token(value: str) -> dict[str, str]:
    return {"X-Share-Token": value}


def test_unconditional_request_gives_a_token_that_fetches_masked_rows(
    api: TestClient, login: Login, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    headers = login("analyst", department_code=world.consumer)
    created = api.post(f"{PREFIX}/requests", json=_body(world), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["request"]["status"] == "approved"
    assert body["grant"]["state"] == "active"
    # dates are dates: the grant's period is the requested one, as ISO dates, unshifted
    sent = _body(world)
    assert body["grant"]["period_start"] == sent["period_start"]
    assert body["grant"]["period_end"] == sent["period_end"]
    token = body["token"]

    page = api.get(f"{PREFIX}/data", params={"page": 1, "size": 2}, headers=_token(token))
    assert page.status_code == 200, page.text
    data = page.json()
    assert data["total"] == 3
    assert len(data["rows"]) == 2
    phones = {row["phone"] for row in data["rows"]}
    assert phones <= {"139****5678", "188****1234", "151****7788"}
    assert all(set(row["_trace"]) == {"batch_id", "source_row"} for row in data["rows"])

    missing = api.get(f"{PREFIX}/data")
    assert missing.status_code == 401
    assert missing.json()["code"] == "invalid_share_token"
    forged = api.get(f"{PREFIX}/data", headers=_token(token[:-4] + "AAAA"))
    assert forged.status_code == 401
    session_only = api.get(f"{PREFIX}/data", headers=headers)  # a user session is not a grant
    assert session_only.status_code == 401


def test_not_shareable_answers_409_with_the_basis_and_keeps_the_request(
    api: TestClient, login: Login, make_world: MakeWorld
) -> None:
    world = make_world("none")
    headers = login("analyst", department_code=world.consumer)
    refused = api.post(f"{PREFIX}/requests", json=_body(world), headers=headers)
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "share_refused"
    assert "保守国家秘密法" in error["message"]
    assert error["detail"]["request"]["status"] == "refused"
    listed = api.get(f"{PREFIX}/requests", params={"status": "refused"}, headers=headers)
    assert [r["id"] for r in listed.json()["items"]] == [error["detail"]["request_id"]]


def test_conditional_approve_issue_token_fetch_revoke(
    api: TestClient, login: Login, make_world: MakeWorld
) -> None:
    world = make_world("conditional")
    headers = login("analyst", department_code=world.consumer)
    created = api.post(f"{PREFIX}/requests", json=_body(world), headers=headers).json()
    assert created["request"]["status"] == "pending"
    assert created["token"] is None
    request_id = created["request"]["id"]

    approver = login("analyst")  # nobody decides their own request
    approved = api.post(f"{PREFIX}/requests/{request_id}/approve", json={"note": "同意"},
                        headers=approver)  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["token"] is None
    grant_id = approved.json()["grant"]["id"]
    issued = api.post(f"{PREFIX}/grants/{grant_id}/token", headers=headers)
    assert issued.status_code == 200, issued.text
    token = issued.json()["token"]
    assert api.get(f"{PREFIX}/data", headers=_token(token)).status_code == 200

    revoked = api.post(f"{PREFIX}/grants/{grant_id}/revoke", json={"reason": "职能调整"},
                       headers=headers)  # fmt: skip
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    after = api.get(f"{PREFIX}/data", headers=_token(token))
    assert after.status_code == 403
    assert after.json()["code"] == "grant_revoked"


def test_reject_and_out_of_region_approver(
    api: TestClient, login: Login, make_world: MakeWorld
) -> None:
    world = make_world("conditional")
    headers = login("analyst", department_code=world.consumer)
    request_id = api.post(f"{PREFIX}/requests", json=_body(world), headers=headers).json()[
        "request"
    ]["id"]
    stranger = login("analyst", "620702")  # 甘州区: not the provider's region
    denied = api.post(f"{PREFIX}/requests/{request_id}/approve", json={}, headers=stranger)
    assert denied.status_code == 403
    assert denied.json()["code"] == "region_out_of_scope"
    assert api.get(f"{PREFIX}/requests/{request_id}", headers=stranger).status_code == 404
    rejected = api.post(f"{PREFIX}/requests/{request_id}/reject", json={"note": "用途不明"},
                        headers=login("analyst"))  # fmt: skip
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"


def test_expired_grant_token_is_refused(
    api: TestClient, login: Login, make_world: MakeWorld
) -> None:
    with frozen(datetime(2026, 7, 1, 2, 0, tzinfo=UTC)) as clock:
        world = make_world("unconditional")
        headers = login("analyst", department_code=world.consumer)
        body = _body(world, period_end=today())
        token = api.post(f"{PREFIX}/requests", json=body, headers=headers).json()["token"]
        assert api.get(f"{PREFIX}/data", headers=_token(token)).status_code == 200
        clock.advance(days=1)
        expired = api.get(f"{PREFIX}/data", headers=_token(token))
        assert expired.status_code == 403
        assert expired.json()["code"] == "grant_expired"


def test_rate_limit_answers_429(
    api: TestClient, login: Login, make_world: MakeWorld, session: Session
) -> None:
    from citybrain.datahub.sharing.models import SharingGrant

    world = make_world("unconditional")
    body = api.post(
        f"{PREFIX}/requests",
        json=_body(world),
        headers=login("analyst", department_code=world.consumer),
    ).json()
    grant = session.get(SharingGrant, body["grant"]["id"])
    assert grant is not None
    grant.rate_limit_per_minute = 1
    session.flush()
    with frozen():  # both calls in one window
        assert api.get(f"{PREFIX}/data", headers=_token(body["token"])).status_code == 200
        limited = api.get(f"{PREFIX}/data", headers=_token(body["token"]))
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"


def test_file_download_deliveries_log_and_trace(
    api: TestClient, login: Login, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    headers = login("analyst", department_code=world.consumer)
    body = api.post(f"{PREFIX}/requests", json=_body(world, method="file"), headers=headers).json()
    token, grant_id = body["token"], body["grant"]["id"]
    wrong = api.get(f"{PREFIX}/data", headers=_token(token))
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_delivery_method"

    csv_file = api.get(f"{PREFIX}/data.csv", headers=_token(token))
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv_file.headers["content-disposition"]
    assert PEOPLE[0]["联系电话"] not in csv_file.content.decode("utf-8-sig")
    xlsx_file = api.get(f"{PREFIX}/data.xlsx", headers=_token(token))
    assert xlsx_file.status_code == 200
    assert xlsx_file.content[:2] == b"PK"

    log = api.get(f"{PREFIX}/deliveries", params={"grant_id": grant_id}, headers=headers)
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert [e["method"] for e in entries] == ["xlsx", "csv"]
    assert all(e["row_count"] == 3 and e["batch_ids"] == [world.batch_id] for e in entries)
    assert api.get(f"{PREFIX}/deliveries", headers=login("viewer")).status_code == 403

    traced = api.get(
        f"{PREFIX}/trace",
        params={"resource_code": world.code, "batch_id": world.batch_id, "source_row": 2},
        headers=headers,
    )
    assert traced.status_code == 200, traced.text
    assert traced.json()["batch"]["source_name"] == world.source_name
    assert traced.json()["batch"]["checksum"] == world.checksum


def test_grants_listing_is_scoped(api: TestClient, login: Login, make_world: MakeWorld) -> None:
    world = make_world("unconditional")
    headers = login("analyst", department_code=world.consumer)
    grant_id = api.post(f"{PREFIX}/requests", json=_body(world), headers=headers).json()["grant"][
        "id"
    ]
    mine = api.get(f"{PREFIX}/grants", params={"consumer_code": world.consumer}, headers=headers)
    assert [g["id"] for g in mine.json()["items"]] == [grant_id]
    assert mine.json()["items"][0]["token_prefix"]
    elsewhere = api.get(f"{PREFIX}/grants", headers=login("analyst", "620702"))
    assert grant_id not in [g["id"] for g in elsewhere.json()["items"]]
    assert api.get(f"{PREFIX}/grants", headers=login("viewer")).status_code == 403


def test_token_routes_are_the_only_public_ones_and_validate_the_token() -> None:
    public = set()
    for route in router.routes:
        assert isinstance(route, APIRoute)
        names = {d.call.__name__ for d in route.dependant.dependencies if d.call is not None}
        if any(n.startswith("valid_share_token_") for n in names):
            public.add(route.path)
        else:
            assert names & {"authenticated", "check"} or any(
                n.startswith("require_") for n in names
            ), route.path
    assert public == set(PUBLIC_ROUTE_PATHS)
    assert public == {f"{PREFIX}/data", f"{PREFIX}/data.csv", f"{PREFIX}/data.xlsx"}


def test_expired_period_is_not_accepted(
    api: TestClient, login: Login, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    body = _body(world, period_start=today() - timedelta(days=9),
                 period_end=today() - timedelta(days=1))  # fmt: skip
    answer = api.post(
        f"{PREFIX}/requests", json=body, headers=login("analyst", department_code=world.consumer)
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "period_in_past"
