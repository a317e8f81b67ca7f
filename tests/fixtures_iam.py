"""Accounts for tests, built through the real iam services inside the test's transaction, and
signed in through the real login endpoint.

``login("analyst")`` → ``{"Authorization": "Bearer ..."}`` for a fresh analyst of 620722
(``department_code=`` puts the account in a department);
``make_user("secadmin", "510903")`` → an :class:`Account` (user, password, TOTP secret) for
service-level tests; ``sign_in(account)`` → headers for an account made earlier.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.iam import auth, service
from citybrain.iam.models import User
from citybrain.iam.permissions import ADMIN_ROLES

PASSWORD = "Cb-test-2024!pass"
_serial = itertools.count(1)


@dataclass
class Account:
    user: User
    username: str
    password: str
    totp_secret: str | None = None

    def totp_now(self) -> str | None:
        """The code of the current step (follows an injected ``frozen()`` clock)."""
        return pyotp.TOTP(self.totp_secret).at(utcnow()) if self.totp_secret else None


MakeUser = Callable[..., Account]
Login = Callable[..., dict[str, str]]


@pytest.fixture
def make_user(session: Session) -> MakeUser:
    """``make_user(role="viewer", region_code="620722", *, username=None, roles=None,
    password=PASSWORD, ready=True)``. ``ready`` clears the forced password change and, for the
    three administrators, enrols and confirms TOTP — all through the real services."""

    def make(
        role: str = "viewer",
        region_code: str = "620722",
        *,
        username: str | None = None,
        roles: list[str] | None = None,
        password: str = PASSWORD,
        ready: bool = True,
        department_code: str | None = None,
    ) -> Account:
        name = username or f"t{role}{next(_serial)}"
        wanted = roles if roles is not None else [role]
        user = service.create_user(
            session,
            username=name,
            password=password,
            region_code=region_code,
            roles=wanted,
            must_change_password=not ready,
            department_code=department_code,
        )
        secret = None
        if ready and set(wanted) & ADMIN_ROLES:
            secret = auth.enrol_totp(session, user=user).secret
            auth.confirm_totp(session, user=user, code=pyotp.TOTP(secret).at(utcnow()))
        session.flush()
        return Account(user=user, username=user.username, password=password, totp_secret=secret)

    return make


@pytest.fixture
def sign_in(client: TestClient) -> Callable[[Account], dict[str, str]]:
    """Headers for ``account`` from the real ``POST /api/v1/iam/login``."""

    def do(account: Account) -> dict[str, str]:
        body = {"username": account.username, "password": account.password}
        code = account.totp_now()
        if code:
            body["totp"] = code
        response = client.post("/api/v1/iam/login", json=body)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return do


@pytest.fixture
def login(make_user: MakeUser, sign_in: Callable[[Account], dict[str, str]]) -> Login:
    """``login(role, region_code="620722", *, username=None)`` → bearer headers of a new,
    ready-to-work account holding ``role``."""

    def do(
        role: str,
        region_code: str = "620722",
        *,
        username: str | None = None,
        department_code: str | None = None,
    ) -> dict[str, str]:
        account = make_user(role, region_code, username=username, department_code=department_code)
        return sign_in(account)

    return do
