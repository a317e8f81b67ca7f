"""Login throttling per address and per user name (security review: 100 unknown-user tries
from one address, none slowed), on top of the account lock, with an injected clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import frozen
from citybrain.core.config import Settings
from citybrain.iam.models import LoginThrottle

LOGIN = "/api/v1/iam/login"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WRONG = "Wrong-password-1"


def _login(client: TestClient, username: str, password: str | None = None) -> Any:
    return client.post(LOGIN, json={"username": username, "password": password or WRONG})


@pytest.fixture
def from_address(client: TestClient) -> Iterator[Callable[[str], TestClient]]:
    """``from_address("10.0.0.7")`` → a client of the same app calling from that address."""
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        other = TestClient(client.app, client=(address, 50000))
        opened.append(other)
        return other

    yield make
    for other in opened:
        other.close()


def test_many_unknown_names_from_one_address_are_slowed(
    client: TestClient, session: Session, settings: Settings
) -> None:
    with frozen(T0) as clock:
        answers = [_login(client, f"ghost{n}") for n in range(settings.login_ip_max_failures)]
        assert {a.status_code for a in answers} == {401}
        throttled = _login(client, "ghost-next")
        assert throttled.status_code == 429
        body = throttled.json()
        assert body["code"] == "too_many_attempts"
        assert "过于频繁" in body["message"]
        assert throttled.headers["Retry-After"] == "900"
        clock.advance(minutes=10)
        later = _login(client, "ghost-later")
        assert later.headers["Retry-After"] == "300"
        clock.advance(minutes=5)
        assert _login(client, "ghost-after").status_code == 401
    records = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "iam.login").order_by(AuditRecord.seq)
    ).all()
    throttled_records = [r for r in records if json.loads(r.detail)["reason"] == "throttled"]
    assert len(throttled_records) == 2
    assert json.loads(throttled_records[0].detail)["by"] == "ip"
    assert throttled_records[0].outcome == "failure"


def test_a_throttled_address_cannot_sign_in_even_with_the_right_password(
    client: TestClient,
    make_user: Any,
    settings: Settings,
    from_address: Callable[[str], TestClient],
) -> None:
    account = make_user("viewer")
    with frozen(T0):
        for n in range(settings.login_ip_max_failures):
            _login(client, f"ghost{n}")
        assert _login(client, account.username, account.password).status_code == 429
        # Another address is not affected.
        other = from_address("10.0.0.7")
        assert _login(other, account.username, account.password).status_code == 200


def test_one_name_tried_from_many_addresses_is_slowed_whether_it_exists_or_not(
    client: TestClient,
    make_user: Any,
    settings: Settings,
    from_address: Callable[[str], TestClient],
) -> None:
    account = make_user("viewer")
    maximum = settings.login_account_max_failures
    with frozen(T0) as clock:
        for name in (account.username, "nobody-at-all"):
            for n in range(maximum):
                caller = from_address(f"10.1.{n}.1")
                assert _login(caller, name).status_code == 401
        existing = _login(from_address("10.2.0.1"), account.username, account.password)
        unknown = _login(from_address("10.2.0.2"), "nobody-at-all")
        assert existing.status_code == unknown.status_code == 429
        assert existing.json() == unknown.json()  # nothing revealed
        clock.advance(minutes=15)
        fresh = _login(from_address("10.2.0.3"), account.username, account.password)
        assert fresh.status_code == 200


def test_a_success_clears_the_name_counter_but_not_the_address(
    client: TestClient, make_user: Any, session: Session
) -> None:
    account = make_user("viewer")
    with frozen(T0):
        for _ in range(3):
            _login(client, account.username)
        assert _login(client, account.username, account.password).status_code == 200
    counts = {
        row.key.split(":", 1)[0]: row.failures
        for row in session.scalars(select(LoginThrottle)).all()
    }
    assert counts == {"ip": 3, "user": 0}


def test_a_missing_second_factor_is_not_counted(
    client: TestClient, make_user: Any, session: Session
) -> None:
    account = make_user("secadmin")
    with frozen(T0):
        answer = _login(client, account.username, account.password)
        assert answer.json()["code"] == "totp_required"
    assert session.scalars(select(LoginThrottle)).all() == []
