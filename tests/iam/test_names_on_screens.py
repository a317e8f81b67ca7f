"""The signed-in person's permissions come with their Chinese titles, and users with the name
of their region, so that screens show names with the code beside."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from citybrain.iam.permissions import CATALOGUE


def test_me_names_every_permission(
    client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    me = client.get("/api/v1/iam/me", headers=login("analyst")).json()
    assert set(me["permission_titles"]) == set(me["permissions"])
    assert me["permission_titles"]["catalog:read"] == "查看资源目录"
    assert all(me["permission_titles"][c] == CATALOGUE[c] for c in me["permissions"])


def test_user_list_names_regions(
    client: TestClient, login: Callable[..., dict[str, str]], make_user: Callable[..., object]
) -> None:
    make_user("viewer", "620722104")
    page = client.get(
        "/api/v1/iam/users", params={"region_code": "620722104"}, headers=login("sysadmin")
    )
    assert page.status_code == 200, page.text
    regions = {(u["region_code"], u["region_name"]) for u in page.json()["items"]}
    assert regions == {("620722104", "南古镇")}
