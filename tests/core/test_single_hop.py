"""``core.web.single_hop``: the handler and the end of its transaction in one worker thread,
with the unit of work's semantics unchanged — committed before the answer, rolled back on an
error, the after-transaction callbacks run, the answer validated against the response model,
the route still guarded and documented."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import Conflict
from citybrain.core.openapi import api_routes, guards_of
from citybrain.core.security import CurrentPrincipal
from citybrain.core.web import DbSession, after_transaction, single_hop


def _route(app: FastAPI, path: str, handler: Callable[..., object], method: str = "POST") -> None:
    app.add_api_route(path, handler, methods=[method], response_model=dict[str, int])
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the front end's catch-all


def _count(session: Session, action: str) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)
        ).scalar_one()
    )


def test_a_single_hop_write_is_committed_before_the_answer(client: TestClient, login, session):
    ran: list[str] = []

    @single_hop
    def write(session: DbSession, principal: CurrentPrincipal) -> dict[str, int]:
        audit.record(session, action="test.single_hop", object_type="thing", object_id="1")
        after_transaction(session, lambda: ran.append("after"))
        return {"written": 1}

    _route(client.app, "/api/test/write", write)
    answer = client.post("/api/test/write", headers=login("analyst"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"written": 1}
    assert ran == ["after"]
    assert _count(session, "test.single_hop") == 1


def test_a_single_hop_error_rolls_back(client: TestClient, login, session):
    @single_hop
    def fail(session: DbSession, principal: CurrentPrincipal) -> dict[str, int]:
        audit.record(session, action="test.single_hop_fail", object_type="thing", object_id="1")
        raise Conflict("冲突", code="test_conflict")

    _route(client.app, "/api/test/fail", fail)
    answer = client.post("/api/test/fail", headers=login("analyst"))
    assert answer.status_code == 409
    assert answer.json()["code"] == "test_conflict"
    assert _count(session, "test.single_hop_fail") == 0


def test_a_single_hop_answer_is_still_validated(client: TestClient, login):
    @single_hop
    def wrong(session: DbSession, principal: CurrentPrincipal) -> dict[str, int]:
        session.execute(text("SELECT 1"))
        return {"not_a_number": "x"}  # type: ignore[dict-item]

    _route(client.app, "/api/test/wrong", wrong, "GET")
    strict = TestClient(client.app, raise_server_exceptions=False)
    assert strict.get("/api/test/wrong", headers=login("analyst")).status_code == 500


def test_single_hop_routes_keep_their_guards_and_documentation(client: TestClient):
    document = client.app.openapi()
    listing = document["paths"]["/api/v1/regions/{code}/children"]["get"]
    assert [p["name"] for p in listing["parameters"]] == ["code"]
    assert listing["x-permissions"] == ["regions:read"]
    routes = {(path, "/".join(sorted(m))): d for path, m, d in api_routes(client.app)}
    for path in (
        "/api/v1/catalog/resources",
        "/api/v1/regions/{code}/children",
        "/api/v1/masterdata/persons/{master_id}",
    ):
        dependant = routes[(path, "GET")]
        assert hasattr(dependant.call, "__wrapped__")  # the single-hop wrapper
        assert guards_of(dependant)
