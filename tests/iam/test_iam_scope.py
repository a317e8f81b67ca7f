"""Region data scope: an administrator of 民乐县 (620722) sees and acts only inside it."""

from __future__ import annotations

from citybrain.regions import queries as region_queries

USERS = "/api/v1/iam/users"
PASSWORD = "Cb-test-2024!pass"


def _town(session) -> str:
    return region_queries.children(session, "620722")[0].code


def test_list_shows_only_the_own_subtree(client, login, make_user, session):
    inside = make_user("viewer", _town(session))
    outside = make_user("viewer", "510903")
    page = client.get(USERS, params={"size": 200}, headers=login("sysadmin")).json()
    names = {item["username"] for item in page["items"]}
    assert inside.username in names
    assert outside.username not in names
    assert all(item["region_code"].startswith("620722") for item in page["items"])


def test_listing_another_region_is_out_of_scope(client, login):
    response = client.get(USERS, params={"region_code": "510903"}, headers=login("sysadmin"))
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_scope"


def test_a_sub_region_filter_inside_the_scope_works(client, login, make_user, session):
    town = _town(session)
    make_user("gridworker", town)
    response = client.get(USERS, params={"region_code": town}, headers=login("sysadmin"))
    assert response.status_code == 200
    assert response.json()["total"] >= 1
    assert all(item["region_code"].startswith(town) for item in response.json()["items"])


def test_creating_a_user_in_another_region_is_out_of_scope(client, login):
    body = {"username": "suining01", "password": PASSWORD, "region_code": "510903"}
    response = client.post(USERS, json=body, headers=login("sysadmin"))
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_scope"


def test_a_town_administrator_cannot_reach_up_to_the_county(client, login, session):
    headers = login("sysadmin", _town(session))
    body = {"username": "county01", "password": PASSWORD, "region_code": "620722"}
    assert client.post(USERS, json=body, headers=headers).json()["code"] == "out_of_scope"


def test_reading_or_changing_a_user_of_another_region_is_out_of_scope(client, login, make_user):
    stranger = make_user("viewer", "510903")
    for method, suffix, headers in [
        ("GET", "", login("sysadmin")),
        ("POST", "/disable", login("sysadmin")),
        ("POST", "/unlock", login("secadmin")),
        ("PUT", "/roles", login("secadmin")),
    ]:
        body = {"roles": ["analyst"]} if method == "PUT" else None
        response = client.request(
            method, f"{USERS}/{stranger.user.id}{suffix}", json=body, headers=headers
        )
        assert response.status_code == 403, (suffix, response.text)
        assert response.json()["code"] == "out_of_scope"


def test_unknown_user_id_is_404_but_only_after_the_permission_check(client, login):
    assert client.get(f"{USERS}/999999", headers=login("sysadmin")).status_code == 404
    assert client.get(f"{USERS}/999999", headers=login("auditadmin")).status_code == 403


def test_user_search_by_text_and_role(client, login, make_user):
    make_user("analyst", username="huangli")
    make_user("viewer", username="huangmei")
    headers = login("sysadmin")
    by_text = client.get(USERS, params={"q": "HUANG"}, headers=headers).json()
    assert {i["username"] for i in by_text["items"]} == {"huangli", "huangmei"}
    by_role = client.get(USERS, params={"q": "huang", "role": "analyst"}, headers=headers).json()
    assert [i["username"] for i in by_role["items"]] == ["huangli"]
    wildcard = client.get(USERS, params={"q": "%"}, headers=headers).json()
    assert wildcard["total"] == 0
