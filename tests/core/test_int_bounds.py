"""Integers beyond 64 bits answer 422, never 500 (security review: ~35 operations answered
``OverflowError``). The walk derives its list from the app's routes, so a route added later
with an unbounded ``int`` path parameter or page fails here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import shapely
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy import text
from sqlalchemy.orm import Session

from citybrain.core.errors import install_error_handlers
from citybrain.datahub.sharing import router as sharing_router
from citybrain.iam.permissions import BUILTIN_ROLES

HUGE = 2**64
TOKEN_ROUTES = sharing_router.PUBLIC_ROUTE_PATHS


def _tree(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _tree(sub)


def _routes(app: FastAPI) -> Iterator[tuple[str, str, Dependant]]:
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            for method in sorted(context.methods or ()):
                yield method, context.path, context.dependant


def _int_params(dependant: Dependant, where: str) -> list[str]:
    found = []
    for node in _tree(dependant):
        params = node.path_params if where == "path" else node.query_params
        found += [p.name for p in params if p.field_info.annotation is int]
    return sorted(set(found))


def _codes(dependant: Dependant) -> set[str]:
    codes = set()
    for node in _tree(dependant):
        code = getattr(node.call, "permission_code", None)
        if isinstance(code, str):
            codes.add(code)
        any_of = getattr(node.call, "permission_codes", ())
        if any_of:  # require_any: one of them is enough
            codes.add(any_of[0])
    return codes


def _grid(client: TestClient, headers: dict[str, str]) -> str:
    box = shapely.box(100.80, 38.40, 100.81, 38.41)
    feature = {"type": "Feature", "properties": {"name": "试点网格"}, "geometry": mapping(box)}
    created = client.post(
        "/api/v1/regions/620722101001/grids",
        params={"crs": "wgs84"},
        json={"type": "FeatureCollection", "features": [feature]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["created"][0]["code"])


@pytest.fixture
def headers_for(login: Callable[..., dict[str, str]]) -> Callable[[set[str]], dict[str, str]]:
    """Headers of a 民乐县 user holding a built-in role that has all of ``codes``."""
    signed: dict[str, dict[str, str]] = {}

    def pick(codes: set[str]) -> dict[str, str]:
        role = next((r for r, held in BUILTIN_ROLES.items() if codes <= held), None)
        assert role is not None, f"no built-in role holds {codes}"
        if role not in signed:
            signed[role] = login(role, "620722")
        return signed[role]

    return pick


def _located(answer: Any, where: str, name: str) -> bool:
    detail = answer.json().get("detail") or []
    return any(isinstance(d, dict) and d.get("loc") == [where, name] for d in detail)


def test_every_int_path_parameter_refuses_two_to_the_64(
    client: TestClient, headers_for: Callable[[set[str]], dict[str, str]]
) -> None:
    grid = _grid(client, headers_for({"regions:manage"}))
    checked, wrong = 0, []
    for method, path, dependant in _routes(client.app):  # type: ignore[arg-type]
        names = _int_params(dependant, "path")
        if not names:
            continue
        url = path
        for name in names:
            url = url.replace("{" + name + "}", str(HUGE))
        url = url.replace("{code}", grid)
        answer = client.request(method, url, headers=headers_for(_codes(dependant)))
        checked += 1
        if answer.status_code != 422 or not _located(answer, "path", names[0]):
            wrong.append(f"{method} {path}: {answer.status_code} {answer.text[:120]}")
    assert checked >= 25, f"the walk found only {checked} routes with an int path parameter"
    assert not wrong, "\n".join(wrong)


def test_every_page_parameter_refuses_two_to_the_64(
    client: TestClient, headers_for: Callable[[set[str]], dict[str, str]]
) -> None:
    checked, wrong = 0, []
    for method, path, dependant in _routes(client.app):  # type: ignore[arg-type]
        pages = [n for n in _int_params(dependant, "query") if n in {"page", "size", "page_size"}]
        if not pages or "{" in path:
            continue
        for name in pages:
            answer = client.request(
                method, path, params={name: HUGE}, headers=headers_for(_codes(dependant))
            )
            checked += 1
            if path in TOKEN_ROUTES and answer.status_code == 401:
                continue  # a grant token is checked first; without one: 401, not 500
            if answer.status_code != 422 or not _located(answer, "query", name):
                wrong.append(f"{method} {path}?{name}: {answer.status_code} {answer.text[:120]}")
    assert checked >= 10, f"the walk found only {checked} page parameters"
    assert not wrong, "\n".join(wrong)


def test_an_overflow_that_reaches_the_database_answers_422(session: Session) -> None:
    """The backstop behind the bounded types: SQLite's driver raises OverflowError, PostgreSQL
    answers SQLSTATE 22003; both become 422 ``number_out_of_range``."""
    app = FastAPI()
    install_error_handlers(app)

    def this_session() -> Session:
        return session

    @app.get("/n/{n}")
    def read(n: int, db: Session = Depends(this_session)) -> int:  # noqa: B008
        return int(db.execute(text("SELECT CAST(:n AS BIGINT)"), {"n": n}).scalar_one())

    with TestClient(app) as plain:
        assert plain.get("/n/7").json() == 7
        answer = plain.get(f"/n/{HUGE}")
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "number_out_of_range"
    assert answer.json()["message"] == "数值超出允许范围"
