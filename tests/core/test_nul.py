"""A NUL character in a path, query or JSON body is refused with 422 ``nul_character`` before it
can reach a query (on PostgreSQL it was a 500: text columns cannot hold NUL), on both databases
alike; a merely escaped backslash is not mistaken for one."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from citybrain.core.nul import NUL_CODE, contains_nul

Login = Callable[..., dict[str, str]]


def _refused(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 422 and response.json()["code"] == NUL_CODE


def test_nul_in_a_query_is_refused(client: TestClient, login: Login) -> None:
    headers = login("analyst")
    # found by the fuzz run: both were a 500 on PostgreSQL
    deliveries = client.get(
        "/api/v1/sharing/deliveries", params={"resource_code": "620722\x00"}, headers=headers
    )
    assert _refused(deliveries), deliveries.text
    assert deliveries.json()["message"] == "请求中含有不允许的空字符 (NUL)"
    callback = client.get("/api/v1/iam/oidc/callback", params={"state": "\x00", "code": "c"})
    assert _refused(callback), callback.text
    fine = client.get("/api/v1/sharing/deliveries", params={"resource_code": "x"}, headers=headers)
    assert fine.status_code == 200, fine.text


def test_nul_in_a_path_is_refused(client: TestClient, login: Login) -> None:
    response = client.get("/api/v1/catalog/resources/620722%00MZ", headers=login("analyst"))
    assert _refused(response), response.text


def test_nul_in_a_json_body_is_refused_and_changes_nothing(
    client: TestClient, login: Login
) -> None:
    headers = login("analyst")
    need = {"requester_code": "620722-MZ", "title": "补贴\x00对象", "wanted_items": ["姓名"]}
    before = client.get("/api/v1/catalog/demands", headers=headers).json()["total"]
    refused = client.post("/api/v1/catalog/demands", json=need, headers=headers)
    assert _refused(refused), refused.text
    nested = {**need, "title": "补贴对象", "wanted_items": ["姓\x00名"]}
    assert _refused(client.post("/api/v1/catalog/demands", json=nested, headers=headers))
    assert client.get("/api/v1/catalog/demands", headers=headers).json()["total"] == before


def test_an_escaped_backslash_is_not_a_nul(client: TestClient) -> None:
    # the JSON text "\\u0000" decodes to a backslash and "u0000": an ordinary wrong password
    body = json.dumps({"username": "\\u0000nobody", "password": "x"})
    response = client.post(
        "/api/v1/iam/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text


def test_contains_nul_walks_keys_and_nested_values() -> None:
    assert contains_nul({"a": [1, {"b": "x\x00"}]})
    assert contains_nul({"k\x00": 1})
    assert not contains_nul({"a": [1, None, True, {"b": "x"}], "c": 2.5})
