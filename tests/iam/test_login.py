"""Login, sessions and lockout through the real endpoints, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import frozen
from citybrain.iam.models import LoginSession

LOGIN = "/api/v1/iam/login"
ME = "/api/v1/iam/me"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _login(client: TestClient, username: str, password: str, **extra: str):
    return client.post(LOGIN, json={"username": username, "password": password, **extra})


def _bearer(response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_login_answers_a_token_that_opens_me(client, make_user):
    account = make_user("analyst")
    response = _login(client, account.username, account.password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["must_change_password"] is False
    assert body["totp_setup_required"] is False
    me = client.get(ME, headers=_bearer(response))
    assert me.status_code == 200
    assert me.json()["username"] == account.username
    assert "catalog:manage" in me.json()["permissions"]
    assert "iam:self" in me.json()["permissions"]


def test_user_name_is_matched_case_and_width_insensitively(client, make_user):
    account = make_user("viewer", username="wangfang")
    assert _login(client, "ＷＡＮＧＦＡＮＧ", account.password).status_code == 200


def test_each_login_starts_a_new_session(client, make_user, session: Session):
    account = make_user("viewer")
    first = _login(client, account.username, account.password).json()["token"]
    second = _login(client, account.username, account.password).json()["token"]
    assert first != second
    count = session.scalar(
        select(func.count())
        .select_from(LoginSession)
        .where(LoginSession.user_id == account.user.id)
    )
    assert count == 2


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user):
    account = make_user("viewer")
    wrong = _login(client, account.username, "Not-the-password-1")
    unknown = _login(client, "nobody-here", "Not-the-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_failed_login_is_recorded_although_the_answer_is_an_error(client, make_user, session):
    account = make_user("viewer")
    assert _login(client, account.username, "Not-the-password-1").status_code == 401
    session.expire_all()
    assert session.get(type(account.user), account.user.id).failed_count == 1
    record = session.scalars(
        select(AuditRecord)
        .where(AuditRecord.action == "iam.login")
        .order_by(AuditRecord.seq.desc())
    ).first()
    assert record is not None
    assert record.outcome == "failure"
    assert record.actor == account.username
    assert "wrong_password" in record.detail


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user, session):
    account = make_user("viewer")
    with frozen(T0) as clock:
        for _ in range(5):
            assert _login(client, account.username, "Wrong-password-1").status_code == 401
        locked = _login(client, account.username, account.password)
        assert locked.status_code == 401
        # Same answer as for a user that does not exist: the lock does not reveal the name.
        assert locked.json() == _login(client, "ghost-user", account.password).json()
        session.expire_all()
        assert session.get(type(account.user), account.user.id).locked_until is not None
        clock.advance(minutes=14, seconds=59)
        assert _login(client, account.username, account.password).status_code == 401
        clock.advance(seconds=1)
        assert _login(client, account.username, account.password).status_code == 200


def test_attempts_while_locked_neither_count_nor_extend_the_lock(client, make_user):
    account = make_user("viewer")
    with frozen(T0) as clock:
        for _ in range(5):
            _login(client, account.username, "Wrong-password-1")
        clock.advance(minutes=10)
        for _ in range(10):
            _login(client, account.username, "Wrong-password-1")
        clock.advance(minutes=5)
        assert _login(client, account.username, account.password).status_code == 200


def test_a_success_resets_the_failure_count(client, make_user):
    account = make_user("viewer")
    with frozen(T0):
        for _ in range(4):
            _login(client, account.username, "Wrong-password-1")
        assert _login(client, account.username, account.password).status_code == 200
        for _ in range(4):
            _login(client, account.username, "Wrong-password-1")
        assert _login(client, account.username, account.password).status_code == 200


def test_idle_session_expires_after_thirty_minutes(client, make_user):
    account = make_user("viewer")
    with frozen(T0) as clock:
        headers = _bearer(_login(client, account.username, account.password))
        clock.advance(minutes=29)
        assert client.get(ME, headers=headers).status_code == 200
        clock.advance(minutes=29)  # the request above counted as activity
        assert client.get(ME, headers=headers).status_code == 200
        clock.advance(minutes=30)
        response = client.get(ME, headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"


def test_session_ends_twelve_hours_after_login_however_active(client, make_user):
    account = make_user("viewer")
    with frozen(T0) as clock:
        headers = _bearer(_login(client, account.username, account.password))
        for _ in range(47):  # a request every 15 minutes: never idle
            clock.advance(minutes=15)
            assert client.get(ME, headers=headers).status_code == 200
        clock.advance(minutes=15)  # 12 h after login
        response = client.get(ME, headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"


def test_logout_kills_the_session_and_a_replay_is_refused(client, make_user):
    account = make_user("viewer")
    headers = _bearer(_login(client, account.username, account.password))
    assert client.post("/api/v1/iam/logout", headers=headers).status_code == 204
    replay = client.get(ME, headers=headers)
    assert replay.status_code == 401
    assert replay.json()["code"] == "session_revoked"
    assert replay.headers["WWW-Authenticate"] == "Bearer"


def test_forged_and_malformed_tokens_are_refused(client):
    for header in ("Bearer forged-token-abc", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer x" * 3):
        response = client.get(ME, headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"


def test_no_credential_at_all_is_401(client):
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_disabled_user_cannot_log_in_and_loses_sessions(client, make_user, login):
    account = make_user("viewer")
    headers = _bearer(_login(client, account.username, account.password))
    admin = login("sysadmin")
    url = f"/api/v1/iam/users/{account.user.id}/disable"
    assert client.post(url, headers=admin).status_code == 200
    assert client.get(ME, headers=headers).status_code == 401
    refused = _login(client, account.username, account.password)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_credentials"


def test_login_body_is_validated(client):
    assert client.post(LOGIN, json={"username": "x"}).status_code == 422
    assert client.post(LOGIN, json={"username": "x", "password": "p" * 300}).status_code == 422
