"""GET /api/v1/search: guarded, validated, scoped to the caller."""

from __future__ import annotations

from fastapi.testclient import TestClient
from search_fixtures import Publish

from fixtures_iam import Login


def test_search_answers_a_page_of_hits_in_the_callers_scope(
    client: TestClient, login: Login, publish: Publish
) -> None:
    publish(kind="report", key="1", title="网格员工作专报", permission="reports:read")
    publish(kind="report", key="2", title="网格员工作专报", permission="reports:read",
            region_code="510903")  # fmt: skip
    response = client.get("/api/v1/search", params={"q": "网格员"}, headers=login("viewer"))
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 1
    assert page["items"][0]["key"] == "1"
    assert page["kinds"] == [{"kind": "report", "title": "专报", "total": 1}]


def test_search_needs_a_query_and_the_permission(client: TestClient, login: Login) -> None:
    viewer = login("viewer")
    assert client.get("/api/v1/search", headers=viewer).status_code == 422
    assert client.get("/api/v1/search", params={"q": "x" * 101}, headers=viewer).status_code == 422
    bad_kind = client.get("/api/v1/search", params={"q": "a", "kind": "A;B"}, headers=viewer)
    assert bad_kind.status_code == 422
    assert client.get("/api/v1/search", params={"q": "网格员"}).status_code == 401
    admin = client.get("/api/v1/search", params={"q": "网格员"}, headers=login("secadmin"))
    assert admin.status_code == 403
