"""屏端管理: a screen's key stands in for a login — it shows the screen's boards, reads only
aggregates of its own region, can never write, is audited at every use and dies when revoked;
and 板块导航 lists the three boards with the caller's published indicators."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.boards import service
from citybrain.boards.schemas import ScreenCreate
from citybrain.cli import main as cli_main
from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import DomainError
from citybrain.core.scope import Scope
from fixtures_iam import Login

COUNTY, TOWN, ELSEWHERE = "620722", "620722104", "510903"


def _screen(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, object]:
    body = {"name": "指挥中心主屏", "region_code": COUNTY, "width": 5120, "height": 1280,
            "boards": ["economy-society", "emergency-command"], **fields}  # fmt: skip
    answer = client.post("/api/v1/boards/screens", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_a_screen_key_runs_its_boards_and_is_audited_at_every_use(
    client: TestClient, login: Login, session: Session
) -> None:
    manager = login("analyst")
    created = _screen(client, manager)
    key = {"X-API-Key": str(created["key"])}
    assert str(created["url"]).startswith("/boards/economy-society?region=620722&key=cbk_")
    for _ in range(2):
        current = client.get("/api/v1/boards/screens/current", headers=key)
        assert current.status_code == 200, current.text
    assert current.json()["boards"] == ["economy-society", "emergency-command"]
    assert current.json()["width"] == 5120
    assert "key" not in current.json()
    uses = session.execute(
        select(AuditRecord).where(
            AuditRecord.action == "boards.screen.use", AuditRecord.object_id == str(created["id"])
        )
    ).scalars()
    assert len(list(uses)) == 2
    assert client.get("/api/v1/boards", headers=key).status_code == 200


def test_a_screen_key_reads_only_and_only_its_region(client: TestClient, login: Login) -> None:
    created = _screen(client, login("analyst"), region_code=TOWN)
    key = {"X-API-Key": str(created["key"])}
    refused = client.post(
        "/api/v1/boards/screens",
        json={"name": "x", "region_code": TOWN, "boards": ["economy-society"]},
        headers=key,
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/boards/screens", headers=key).status_code == 403
    assert client.get("/api/v1/catalog/resources", headers=key).status_code == 403
    county = client.get("/api/v1/regions/620722/children", headers=key)
    assert county.status_code in (401, 403)


def test_a_revoked_screen_key_is_refused_at_once(client: TestClient, login: Login) -> None:
    manager = login("analyst")
    created = _screen(client, manager)
    key = {"X-API-Key": str(created["key"])}
    assert client.get("/api/v1/boards/screens/current", headers=key).status_code == 200
    revoked = client.post(f"/api/v1/boards/screens/{created['id']}/revoke", headers=manager)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    answer = client.get("/api/v1/boards/screens/current", headers=key)
    assert answer.status_code == 401
    assert answer.json()["code"] == "api_key_revoked"


def test_screens_are_scoped_to_the_managers_region(client: TestClient, login: Login) -> None:
    county = login("analyst")
    other = login("analyst", ELSEWHERE)
    created = _screen(client, county)
    assert all(s["id"] != created["id"] for s in client.get(
        "/api/v1/boards/screens", headers=other).json())  # fmt: skip
    outside = client.post(f"/api/v1/boards/screens/{created['id']}/revoke", headers=other)
    assert outside.status_code == 404
    assert outside.json()["code"] == "screen_not_found"
    answer = client.post(
        "/api/v1/boards/screens",
        json={"name": "越权", "region_code": COUNTY, "boards": ["economy-society"]},
        headers=other,
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "region_out_of_scope"


def test_bad_screens_are_refused_with_codes(client: TestClient, login: Login) -> None:
    manager = login("analyst")
    for body in (
        {"name": "x", "region_code": COUNTY, "boards": ["no-such-board"]},
        {"name": "x", "region_code": COUNTY, "boards": []},
        {"name": "x", "region_code": COUNTY, "boards": ["economy-society"], "width": 10},
    ):
        answer = client.post("/api/v1/boards/screens", json=body, headers=manager)
        assert answer.status_code == 422, body
    viewer = login("viewer")
    body = {"name": "x", "region_code": COUNTY, "boards": ["economy-society"]}
    assert client.post("/api/v1/boards/screens", json=body, headers=viewer).status_code == 403
    assert client.get("/api/v1/boards/screens/current", headers=viewer).status_code == 404


def test_navigation_lists_three_boards_with_visible_indicator_counts(
    client: TestClient, login: Login
) -> None:
    answer = client.get("/api/v1/boards", headers=login("viewer"))
    assert answer.status_code == 200
    boards = answer.json()
    assert [b["code"] for b in boards] == [
        "service-efficiency", "economy-society", "emergency-command",
    ]  # fmt: skip
    assert all(b["path"] == f"/boards/{b['code']}" and b["indicators"] >= 0 for b in boards)


def test_the_cli_registers_lists_and_revokes(session: Session, monkeypatch: object) -> None:
    created = service.create_screen(
        session,
        spec=ScreenCreate(name="大厅屏", region_code=COUNTY, boards=["service-efficiency"]),
        scope=Scope.system(),
    )
    assert created.key.startswith("cbk_")
    with pytest.raises(DomainError) as caught:
        service.create_screen(
            session,
            spec=ScreenCreate(name="越权屏", region_code=ELSEWHERE, boards=["economy-society"]),
            scope=Scope(region_code=COUNTY, actor="t", all_departments=True),
        )
    assert caught.value.code == "region_out_of_scope"
    service.revoke_screen(session, screen_id=created.id, scope=Scope.system())
    listed = {s.id: s for s in service.list_screens(session, scope=Scope.system())}
    assert listed[created.id].revoked_at is not None
    result = CliRunner().invoke(cli_main.app, ["screen", "create", "--name", "x", "--region",
                                               COUNTY, "--size", "big"])  # fmt: skip
    assert result.exit_code == 2
    assert "bad_screen_size" in result.output
