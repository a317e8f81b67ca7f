"""API keys for department systems: shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from citybrain.core.clock import frozen
from citybrain.core.errors import BadInput
from citybrain.iam import apikeys
from citybrain.iam.models import ApiKey

KEYS = "/api/v1/iam/apikeys"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _create(client, headers, **overrides):
    body = {"name": "县公安局系统", "region_code": "620722", "scopes": ["regions:read"], "days": 30}
    return client.post(KEYS, json={**body, **overrides}, headers=headers)


def test_key_is_shown_once_and_stored_only_hashed(client, login, session):
    headers = login("sysadmin")
    created = _create(client, headers)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(f"cbk_{created.json()['key_prefix']}_")
    row = session.scalars(select(ApiKey).where(ApiKey.id == created.json()["id"])).one()
    assert key not in row.key_hash
    assert row.key_prefix == key.split("_")[1]
    listed = client.get(KEYS, headers=headers).json()
    assert listed["total"] >= 1
    assert all("key" not in item for item in listed["items"])


def test_key_grants_exactly_its_scopes(client, login):
    key = _create(client, login("sysadmin")).json()["key"]
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/regions/620722", headers=headers).status_code == 200
    me = client.get("/api/v1/iam/me", headers=headers).json()
    assert me["kind"] == "apikey"
    assert me["permissions"] == ["regions:read"]
    assert client.get("/api/v1/audit/records", headers=headers).status_code == 403
    assert client.get("/api/v1/iam/users", headers=headers).status_code == 403
    # a key is not a person: no own-account actions
    assert client.post("/api/v1/iam/me/totp", headers=headers).status_code == 403


def test_key_is_confined_to_its_region(client, login):
    key = _create(client, login("sysadmin")).json()["key"]
    response = client.get("/api/v1/regions/510903", headers={"X-API-Key": key})
    assert response.status_code == 403


def test_expired_key_is_refused(client, login):
    with frozen(T0) as clock:
        key = _create(client, login("sysadmin"), days=1).json()["key"]
        assert client.get("/api/v1/regions/620722", headers={"X-API-Key": key}).status_code == 200
        clock.advance(days=1)
        response = client.get("/api/v1/regions/620722", headers={"X-API-Key": key})
        assert response.status_code == 401
        assert response.json()["code"] == "api_key_expired"


def test_revoked_key_is_refused(client, login):
    headers = login("sysadmin")
    created = _create(client, headers).json()
    assert client.post(f"{KEYS}/{created['id']}/revoke", headers=headers).status_code == 200
    response = client.get("/api/v1/regions/620722", headers={"X-API-Key": created["key"]})
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


@pytest.mark.parametrize(
    "forged",
    ["nonsense", "cbk_12345678_wrong-secret", "cbk__x", "cbk_zzzzzzzz_abc", ""],
)
def test_forged_keys_are_refused(client, login, forged):
    real = _create(client, login("sysadmin")).json()["key"]
    tampered = real[:-2] + ("AA" if not real.endswith("AA") else "BB")
    for value in (forged, tampered):
        if not value:
            continue
        response = client.get("/api/v1/regions/620722", headers={"X-API-Key": value})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"scopes": ["audit:read"]}, 422, "scope_not_allowed"),
        ({"scopes": ["iam:user_manage"]}, 422, "scope_not_allowed"),
        ({"scopes": ["pii:unmask"]}, 422, "scope_not_allowed"),
        ({"scopes": ["no:such"]}, 422, "unknown_permission"),
        ({"scopes": []}, 422, "invalid_input"),
        ({"days": 0}, 422, "invalid_input"),
        ({"days": 731}, 422, "invalid_input"),
        ({"region_code": "510903"}, 403, "out_of_scope"),
        ({"region_code": "62x"}, 422, "bad_region_code"),
    ],
)
def test_bad_key_requests_are_refused(client, login, overrides, status, code):
    response = _create(client, login("sysadmin"), **overrides)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_service_refuses_empty_name(session):
    with pytest.raises(BadInput) as caught:
        apikeys.create_api_key(session, name="  ", region_code="620722", scopes=["catalog:read"])
    assert caught.value.code == "bad_api_key"


def test_revoking_out_of_scope_key_is_refused(client, login, session):
    key, _ = apikeys.create_api_key(
        session, name="遂宁系统", region_code="510903", scopes=["catalog:read"]
    )
    session.flush()
    response = client.post(f"{KEYS}/{key.id}/revoke", headers=login("sysadmin"))
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_scope"
