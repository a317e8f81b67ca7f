"""Account commands through the real services and endpoints: uniqueness, policy, history,
forced change, nothing half-written, and the three administrators of ``citybrain init``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import frozen
from citybrain.core.errors import BadInput, Conflict, NotFound
from citybrain.iam import passwords, service
from citybrain.iam.models import PasswordHistory, User

USERS = "/api/v1/iam/users"
PASSWORD = "Cb-test-2024!pass"


def _count(session: Session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_duplicate_user_names_are_refused_case_and_width_insensitively(session):
    service.create_user(session, username="admin", password=PASSWORD, region_code="620722")
    with pytest.raises(Conflict) as caught:
        service.create_user(session, username="ＡＤＭＩＮ", password=PASSWORD, region_code="620722")
    assert caught.value.code == "duplicate_username"
    with pytest.raises(Conflict):
        service.create_user(session, username="Admin", password=PASSWORD, region_code="620722")


def test_duplicate_over_http_is_409_and_writes_nothing(client, login, session):
    headers = login("sysadmin")
    body = {"username": "zhaolei", "password": PASSWORD, "region_code": "620722"}
    assert client.post(USERS, json=body, headers=headers).status_code == 201
    records = _count(session, AuditRecord)
    again = client.post(USERS, json={**body, "username": "ＺＨＡＯＬＥＩ"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_username"
    assert _count(session, User, User.username_key == "zhaolei") == 1
    assert _count(session, AuditRecord) == records


def test_weak_password_is_422_with_reasons_and_nothing_is_written(client, login, session):
    headers = login("sysadmin")
    body = {"username": "weakling", "password": "abc", "region_code": "620722"}
    records = _count(session, AuditRecord)
    response = client.post(USERS, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    codes = {item["code"] for item in response.json()["detail"]}
    assert codes == {"too_short", "too_few_classes"}
    assert "密码" in response.json()["message"]
    assert _count(session, User, User.username_key == "weakling") == 0
    assert _count(session, AuditRecord) == records


def test_unknown_region_and_role_are_refused(session):
    with pytest.raises(NotFound) as caught:
        service.create_user(session, username="u-x", password=PASSWORD, region_code="659999")
    assert caught.value.code == "region_not_found"
    with pytest.raises(BadInput) as bad:
        service.create_user(session, username="u-y", password=PASSWORD, region_code="62A")
    assert bad.value.code == "bad_region_code"
    with pytest.raises(NotFound) as role:
        service.create_user(
            session, username="u-z", password=PASSWORD, region_code="620722", roles=["wizard"]
        )
    assert role.value.code == "role_not_found"


def test_creation_is_audited_without_the_password(session):
    user = service.create_user(
        session, username="auditme", password=PASSWORD, region_code="620722", roles=["viewer"]
    )
    record = session.scalars(
        select(AuditRecord)
        .where(AuditRecord.action == "iam.user.create")
        .order_by(AuditRecord.seq.desc())
    ).first()
    assert record is not None
    assert record.object_id == str(user.id)
    assert PASSWORD not in record.detail
    assert user.password_hash.startswith("$argon2id$")


def test_a_new_account_must_change_its_password_first(client, make_user):
    account = make_user("analyst", ready=False)
    login = client.post(
        "/api/v1/iam/login", json={"username": account.username, "password": account.password}
    )
    assert login.status_code == 200
    assert login.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    me = client.get("/api/v1/iam/me", headers=headers)
    assert me.json()["must_change_password"] is True
    assert me.json()["permissions"] == ["iam:self"]
    assert me.json()["region_name"] == "民乐县"  # shown even without regions:read
    assert client.get("/api/v1/regions/620722", headers=headers).status_code == 403
    change = client.post(
        "/api/v1/iam/me/password",
        json={"old_password": account.password, "new_password": "Brand-new-2024!"},
        headers=headers,
    )
    assert change.status_code == 204, change.text
    assert client.get("/api/v1/regions/620722", headers=headers).status_code == 200
    assert "catalog:manage" in client.get("/api/v1/iam/me", headers=headers).json()["permissions"]


def test_change_password_checks_the_old_one_and_the_last_five(client, make_user, sign_in):
    account = make_user("viewer")
    headers = sign_in(account)
    url = "/api/v1/iam/me/password"
    wrong = client.post(
        url, json={"old_password": "nope", "new_password": "Next-2024!a"}, headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "wrong_password"
    same = client.post(
        url,
        json={"old_password": account.password, "new_password": account.password},
        headers=headers,
    )
    assert same.status_code == 422
    assert same.json()["code"] == "password_reused"
    current = account.password
    for n in range(1, 6):
        new = f"Rotate-{n}-2024!"
        ok = client.post(url, json={"old_password": current, "new_password": new}, headers=headers)
        assert ok.status_code == 204, ok.text
        current = new
    # The last five (Rotate-1 … Rotate-5) are refused; the original has dropped out of history.
    for n in range(1, 6):
        again = client.post(
            url,
            json={"old_password": current, "new_password": f"Rotate-{n}-2024!"},
            headers=headers,
        )
        assert again.json()["code"] == "password_reused", n
    back = client.post(
        url, json={"old_password": current, "new_password": account.password}, headers=headers
    )
    assert back.status_code == 204


def test_history_is_pruned_to_the_configured_length(session, make_user):
    account = make_user("viewer")
    for n in range(8):
        service.set_password(session, user=account.user, password=f"Prune-{n}-2024!")
    kept = _count(session, PasswordHistory, PasswordHistory.user_id == account.user.id)
    assert kept == 5


def test_changing_the_password_ends_the_other_sessions(client, make_user, sign_in):
    account = make_user("viewer")
    first, second = sign_in(account), sign_in(account)
    response = client.post(
        "/api/v1/iam/me/password",
        json={"old_password": account.password, "new_password": "Another-2024!x"},
        headers=second,
    )
    assert response.status_code == 204
    assert client.get("/api/v1/iam/me", headers=second).status_code == 200
    assert client.get("/api/v1/iam/me", headers=first).json()["code"] == "session_revoked"


def test_passwords_older_than_ninety_days_force_a_change(client, make_user):
    with frozen(datetime(2026, 1, 1, tzinfo=UTC)) as clock:
        account = make_user("viewer")
        clock.advance(days=90)
        login = client.post(
            "/api/v1/iam/login", json={"username": account.username, "password": account.password}
        )
        assert login.json()["must_change_password"] is True


def test_admin_password_reset_gives_a_one_time_password(client, login, make_user, session):
    account = make_user("viewer")
    response = client.post(f"{USERS}/{account.user.id}/password-reset", headers=login("sysadmin"))
    assert response.status_code == 200
    one_time = response.json()["password"]
    signed = client.post(
        "/api/v1/iam/login", json={"username": account.username, "password": one_time}
    )
    assert signed.json()["must_change_password"] is True


def test_create_admin_accounts_is_idempotent_and_separated(session):
    created = service.create_admin_accounts(session)
    assert [(a.username, a.role) for a in created] == [
        ("sysadmin", "sysadmin"),
        ("secadmin", "secadmin"),
        ("auditadmin", "auditadmin"),
    ]
    for account in created:
        user = session.scalars(select(User).where(User.username_key == account.username)).one()
        assert [r.name for r in user.roles] == [account.role]
        assert user.must_change_password is True
        assert user.region_code == "620722"
        assert passwords.verify_password(user.password_hash, account.password)
        assert passwords.check_policy(passwords.PasswordProfile.asvs, account.password, "x") == []
    assert len({a.password for a in created}) == 3
    assert service.create_admin_accounts(session) == []


def test_first_admin_login_is_confined_to_password_change_and_totp(client, session):
    created = {a.username: a for a in service.create_admin_accounts(session)}
    session.flush()
    response = client.post(
        "/api/v1/iam/login",
        json={"username": "sysadmin", "password": created["sysadmin"].password},
    )
    assert response.status_code == 200
    assert response.json()["must_change_password"] is True
    assert response.json()["totp_setup_required"] is True
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    assert client.get(USERS, headers=headers).status_code == 403
