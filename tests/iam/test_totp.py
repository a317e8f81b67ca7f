"""The second factor: required for the three administrators, enrolment, replay, reset."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp

from citybrain.core.clock import frozen, utcnow

LOGIN = "/api/v1/iam/login"
T0 = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)


def _login(client, account, **extra):
    body = {"username": account.username, "password": account.password, **extra}
    return client.post(LOGIN, json=body)


def _bearer(response):
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_an_administrator_without_totp_can_only_enrol(client, make_user):
    account = make_user("secadmin", ready=False)
    with frozen(T0) as clock:
        response = _login(client, account)
        assert response.status_code == 200
        assert response.json()["totp_setup_required"] is True
        headers = _bearer(response)
        assert client.get("/api/v1/iam/users", headers=headers).status_code == 403
        change = client.post(
            "/api/v1/iam/me/password",
            json={"old_password": account.password, "new_password": "Secadmin-new-2024!"},
            headers=headers,
        )
        assert change.status_code == 204
        assert client.get("/api/v1/iam/users", headers=headers).status_code == 403
        enrol = client.post("/api/v1/iam/me/totp", headers=headers)
        assert enrol.status_code == 200
        secret = enrol.json()["secret"]
        assert enrol.json()["otpauth_uri"].startswith("otpauth://totp/citybrain:")
        wrong = client.post("/api/v1/iam/me/totp/confirm", json={"code": "000000"}, headers=headers)
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "invalid_totp"
        code = pyotp.TOTP(secret).at(utcnow())
        ok = client.post("/api/v1/iam/me/totp/confirm", json={"code": code}, headers=headers)
        assert ok.status_code == 204
        assert client.get("/api/v1/iam/users", headers=headers).status_code == 200
        # Once on, the factor cannot be replaced from a session.
        assert client.post("/api/v1/iam/me/totp", headers=headers).status_code == 409
        clock.advance(seconds=30)
        account.password = "Secadmin-new-2024!"
        missing = _login(client, account)
        assert missing.status_code == 401
        assert missing.json()["code"] == "totp_required"
        again = _login(client, account, totp=pyotp.TOTP(secret).at(utcnow()))
        assert again.status_code == 200
        assert again.json()["totp_setup_required"] is False


def test_wrong_code_is_refused_right_code_accepted_and_not_replayable(client, make_user):
    with frozen(T0) as clock:
        account = make_user("auditadmin")
        clock.advance(seconds=30)
        wrong = _login(
            client, account, totp="123456" if account.totp_now() != "123456" else "654321"
        )
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "invalid_totp"
        code = account.totp_now()
        assert _login(client, account, totp=code).status_code == 200
        replay = _login(client, account, totp=code)
        assert replay.status_code == 401
        assert replay.json()["code"] == "invalid_totp"
        clock.advance(seconds=30)
        assert _login(client, account, totp=account.totp_now()).status_code == 200


def test_wrong_codes_count_towards_the_lock(client, make_user):
    with frozen(T0) as clock:
        account = make_user("sysadmin")
        clock.advance(seconds=30)
        bad = "000000" if account.totp_now() != "000000" else "111111"
        for _ in range(5):
            assert _login(client, account, totp=bad).status_code == 401
        clock.advance(seconds=30)
        locked = _login(client, account, totp=account.totp_now())
        assert locked.json()["code"] == "invalid_credentials"


def test_secret_is_stored_encrypted(make_user, session):
    account = make_user("sysadmin")
    session.refresh(account.user)
    assert account.user.totp_secret
    assert account.totp_secret not in account.user.totp_secret


def test_security_admin_resets_a_lost_factor(client, make_user, login):
    with frozen(T0) as clock:
        account = make_user("auditadmin")
        secadmin = login("secadmin")
        url = f"/api/v1/iam/users/{account.user.id}/totp-reset"
        assert client.post(url, headers=secadmin).status_code == 200
        clock.advance(seconds=30)
        response = _login(client, account)
        assert response.status_code == 200
        assert response.json()["totp_setup_required"] is True
