"""The per-process principal cache: a known token or key costs no query, and every change of
rights is honoured — at once when this process made it, within the TTL when another did —
with an injected clock (``core.clock.frozen``) instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, select, text
from sqlalchemy.orm import Session

from citybrain.core.clock import frozen
from citybrain.core.security import Principal
from citybrain.iam import apikeys, roles, service
from citybrain.iam.models import ApiKey, LoginSession
from citybrain.iam.principal_cache import CACHE, Entry, PrincipalCache

ME = "/api/v1/iam/me"
REGION = "/api/v1/regions/620722"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = 5  # CITYBRAIN_AUTH_CACHE_SECONDS by default


@contextmanager
def statements(connection: Connection) -> Iterator[list[str]]:
    """The SQL the app sends on the test's connection while the block runs."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", note)


def _session_lookups(seen: list[str]) -> int:
    return sum(1 for s in seen if "FROM iam_session" in s and s.lstrip().startswith("SELECT"))


def _permissions(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get(ME, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["permissions"])


def test_a_known_token_is_not_looked_up_again(client, login, connection):
    headers = login("analyst")
    with statements(connection) as first:
        assert client.get(ME, headers=headers).status_code == 200
    with statements(connection) as second:
        assert client.get(ME, headers=headers).status_code == 200
    assert _session_lookups(first) == 1
    assert _session_lookups(second) == 0


def test_with_the_cache_off_every_request_looks_the_token_up(client, login, connection):
    client.app.state.settings = client.app.state.settings.model_copy(
        update={"auth_cache_seconds": 0}
    )
    headers = login("analyst")
    with statements(connection) as seen:
        for _ in range(3):
            assert client.get(ME, headers=headers).status_code == 200
    assert _session_lookups(seen) == 3


def test_logout_refuses_a_remembered_token_at_once(client, login):
    with frozen(T0):  # the clock does not move: only the invalidation can refuse it
        headers = login("analyst")
        assert client.get(ME, headers=headers).status_code == 200
        assert client.post("/api/v1/iam/logout", headers=headers).status_code == 204
        replay = client.get(ME, headers=headers)
    assert replay.status_code == 401
    assert replay.json()["code"] == "session_revoked"


def test_a_role_change_holds_from_the_next_request(client, make_user, sign_in, session):
    account = make_user("viewer")
    with frozen(T0):
        headers = sign_in(account)
        assert "catalog:manage" not in _permissions(client, headers)
        roles.set_user_roles(session, user=account.user, roles=["analyst"])
        assert "catalog:manage" in _permissions(client, headers)


def test_a_custom_roles_new_codes_hold_from_the_next_request(client, make_user, sign_in, session):
    roles.create_role(session, name="cachetest", title_zh="缓存测试", codes=["regions:read"])
    account = make_user(roles=["cachetest"])
    with frozen(T0):
        headers = sign_in(account)
        assert "catalog:read" not in _permissions(client, headers)
        roles.set_role_permissions(session, name="cachetest", codes=["catalog:read"])
        assert "catalog:read" in _permissions(client, headers)


def test_disabling_an_account_refuses_its_remembered_session_at_once(
    client, make_user, sign_in, session
):
    account = make_user("analyst")
    with frozen(T0):
        headers = sign_in(account)
        assert client.get(ME, headers=headers).status_code == 200
        service.disable_user(session, user=account.user)
        response = client.get(ME, headers=headers)
    assert response.status_code == 401


def test_a_revocation_by_another_process_holds_within_the_ttl(client, login, connection):
    """SQL on the connection, past the ORM, is what another worker or the CLI looks like to
    this process: no invalidation reaches it, so the TTL bounds the lag."""
    with frozen(T0) as clock:
        headers = login("analyst")
        assert client.get(ME, headers=headers).status_code == 200  # remembered now
        connection.execute(
            text("UPDATE iam_session SET revoked_at = :at WHERE revoked_at IS NULL"), {"at": T0}
        )
        clock.advance(seconds=TTL)
        response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


def test_the_absolute_lifetime_is_checked_on_a_remembered_session(client, login, session):
    with frozen(T0) as clock:
        headers = login("analyst")
        row = session.execute(select(LoginSession).order_by(LoginSession.id.desc())).scalars()
        live = next(iter(row))
        live.expires_at = T0 + timedelta(seconds=2)
        session.flush()
        assert client.get(ME, headers=headers).status_code == 200  # remembered now
        clock.advance(seconds=2)  # well inside the TTL
        response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_an_api_keys_expiry_is_exact_and_its_revocation_holds_at_once(client, login, session):
    with frozen(T0) as clock:
        admin = login("sysadmin")
        body = {"name": "缓存测试系统", "region_code": "620722", "scopes": ["regions:read"]}
        created = client.post("/api/v1/iam/apikeys", json=body, headers=admin).json()
        key = {"X-API-Key": created["key"]}
        session.get(ApiKey, created["id"]).expires_at = T0 + timedelta(seconds=2)
        session.flush()
        assert client.get(REGION, headers=key).status_code == 200  # remembered now
        clock.advance(seconds=2)  # well inside the TTL
        assert client.get(REGION, headers=key).json()["code"] == "api_key_expired"

        again = client.post("/api/v1/iam/apikeys", json=body, headers=admin).json()
        key = {"X-API-Key": again["key"]}
        assert client.get(REGION, headers=key).status_code == 200  # remembered now
        apikeys.revoke_api_key(session, key=session.get(ApiKey, again["id"]))
        response = client.get(REGION, headers=key)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def test_api_key_use_is_recorded_after_the_request_at_most_once_a_minute(client, login, session):
    with frozen(T0) as clock:
        admin = login("sysadmin")
        body = {"name": "计数系统", "region_code": "620722", "scopes": ["regions:read"]}
        created = client.post("/api/v1/iam/apikeys", json=body, headers=admin).json()
        key = {"X-API-Key": created["key"]}

        def last_used() -> datetime | None:
            session.expire_all()
            return session.get(ApiKey, created["id"]).last_used_at

        assert last_used() is None
        seen = []
        for seconds in (0, 30, 29, 2):  # at +0, +30, +59, +61
            clock.advance(seconds=seconds)
            assert client.get(REGION, headers=key).status_code == 200
            seen.append(last_used())
    assert seen == [T0, T0, T0, T0 + timedelta(seconds=61)]


def _entry(cache: PrincipalCache) -> Entry:
    principal = Principal(kind="user", id=1, name="u", region_code="620722")
    return Entry(
        principal=principal,
        actor="u",
        role="",
        fetched_at=cache.clock(),
        row_id=1,
        expires_at=T0 + timedelta(hours=1),
        last_seen_at=T0,
    )


def test_a_lookup_that_began_before_a_change_is_not_remembered():
    cache = PrincipalCache(clock=lambda: T0)
    generation = cache.generation  # a reader starts
    cache.invalidate()  # a revocation commits meanwhile
    assert cache.put("h", _entry(cache), generation=generation) is False
    assert cache.get("h", ttl=TTL) is None
    assert cache.put("h", _entry(cache), generation=cache.generation) is True
    assert cache.get("h", ttl=TTL) is not None


@pytest.mark.parametrize(
    ("age", "kept"),
    [(timedelta(0), True), (timedelta(seconds=TTL) - timedelta(microseconds=1), True),
     (timedelta(seconds=TTL), False), (timedelta(seconds=-1), False)],
)  # fmt: skip
def test_an_entry_lives_for_the_ttl_only(age, kept):
    now = [T0]
    cache = PrincipalCache(clock=lambda: now[0])
    cache.put("h", _entry(cache), generation=cache.generation)
    now[0] = T0 + age  # a negative age: the clock went back, so ask the database again
    assert (cache.get("h", ttl=TTL) is not None) is kept


def test_touching_last_seen_at_leaves_the_cache_alone(client, login):
    with frozen(T0) as clock:
        headers = login("analyst")
        assert client.get(ME, headers=headers).status_code == 200
        clock.advance(seconds=TTL - 1)
        generation = CACHE.generation
        assert client.get(ME, headers=headers).status_code == 200
        clock.advance(seconds=61)  # a touch is due: it must not empty the cache
        assert client.get(ME, headers=headers).status_code == 200
        assert client.get(ME, headers=headers).status_code == 200
    assert CACHE.generation == generation


def test_new_sessions_do_not_empty_the_cache(client, make_user, sign_in, session: Session):
    account = make_user("analyst")
    headers = sign_in(account)
    assert client.get(ME, headers=headers).status_code == 200
    generation = CACHE.generation
    sign_in(account)  # a second login of the same person
    assert CACHE.generation == generation
